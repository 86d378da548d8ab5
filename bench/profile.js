// Profiling helper, not part of `npm run bench`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.js [calls]
// runs tollgate.llm calls (memory store, one daily deny budget, ledger pruned every 5,000) and
// prints ns per call. TOLLGATE_BENCH_DIST picks another build (see lib/dist.js).
import { makeTollgate } from './lib/setup.js';

const CALLS = Number(process.argv[2] ?? 200_000);
const t = makeTollgate();
const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
const fn = (call) => {
  call.setUsage(USAGE);
  return 1;
};
const start = process.hrtime.bigint();
for (let i = 0; i < CALLS; i++) {
  await t.tollgate.llm(OPTIONS, fn);
  if (i % 5000 === 0) {
    await t.tollgate.forceFlush();
    await t.tollgate.ledger.prune(Date.now() + 1);
  }
}
process.stdout.write(`${Number(process.hrtime.bigint() - start) / CALLS} ns per call\n`);
await t.shutdown();
