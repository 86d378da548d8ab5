// Benchmark 6 under two builds in one run: the baseline and 100,000-keyed variants of each build,
// four processes taking turns (lib/isolated.js). Prints per build the ratio 100k / baseline, and
// the per-round ratios of build B over build A for each variant.
//   node bench/ab6.mjs <dist A> <dist B> [rounds]
import { resolve } from 'node:path';
import { runIsolated } from './lib/isolated.js';
import { fmtNs, fmtRatio, median } from './lib/measure.js';
import { BASELINE, BATCH, gcLine } from './budgetsAtScale.js';

const [distA, distB, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 40);
const BIG = '+ 100,000 keyed per-task budgets';
const names = ['A base', 'A 100k', 'B base', 'B 100k'];
const variantOf = { 'A base': BASELINE, 'B base': BASELINE, 'A 100k': BIG, 'B 100k': BIG };
const dists = { 'A base': resolve(distA), 'A 100k': resolve(distA), 'B base': resolve(distB), 'B 100k': resolve(distB) };
const r = await runIsolated('budgetsAtScale.js', names, { rounds, warmup: 2, batch: BATCH, args: { variantOf }, dists });
const ratio = (a, b) => median(r[a].samples.map((ns, i) => ns / r[b].samples[i]));
for (const n of names) process.stdout.write(`${n}: ${fmtNs(r[n].medianNs)} a call, heap ${r[n].extra.heapUsedMb} MB live at the end, ${gcLine(r[n].extra.gc)}\n`);
process.stdout.write(`A: 100k / base ${fmtRatio(ratio('A 100k', 'A base'))}; B: 100k / base ${fmtRatio(ratio('B 100k', 'B base'))}\n`);
process.stdout.write(`B / A: base ${fmtRatio(ratio('B base', 'A base'))}, 100k ${fmtRatio(ratio('B 100k', 'A 100k'))}\n`);
