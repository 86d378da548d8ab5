// Profiling helper, not part of `npm run bench`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.js
// runs 200,000 tollgate.llm calls (memory store, ledger pruned every 5,000) and prints ns per call.
import { makeTollgate } from './lib/setup.js';
const t = makeTollgate();
const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
const fn = (call) => { call.setUsage(USAGE); return 1; };
const start = process.hrtime.bigint();
for (let i = 0; i < 200000; i++) { await t.tollgate.llm(OPTIONS, fn); if (i % 5000 === 0) t.tollgate.ledger.prune(Date.now()+1); }
process.stdout.write(`${Number(process.hrtime.bigint() - start) / 200000} ns per call\n`);
