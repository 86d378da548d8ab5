// Step 1c judged over the rounds of several runs: each run's per-round p99 differences to the
// contrib instrumentation (what `TOLLGATE_BENCH_JSON=<file>` makes run.js write) pooled, and the
// target judged as run.js judges one run: the bootstrap interval of the median difference, widened
// by how far contrib run again in other processes came out (its median over the pooled rounds).
// Pooling runs averages out the offset each process has of its own, which more rounds of one
// run do not.
//   TOLLGATE_BENCH_ONLY=1c TOLLGATE_BENCH_ROUNDS=120 TOLLGATE_BENCH_JSON=run1.json node bench/run.js   (and again)
//   node bench/pool1c.js run1.json run2.json ...
// bench/runs/ keeps the files of earlier long runs (the build and date are in each): pool new runs with them.
import { readFileSync } from 'node:fs';
import { intervalVerdict, median, medianInterval, widened } from './lib/measure.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/pool1c.js <run.json>... (files written by run.js with TOLLGATE_BENCH_JSON, step 1c)\n');
  process.exit(2);
}
const signed = (ms) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(2)} ms`;
const pooled = {};
for (const file of files) {
  const { date, build, figures } = JSON.parse(readFileSync(file, 'utf8'));
  const keys = Object.keys(figures).filter((k) => k.startsWith('1c ') && k.endsWith(', per round'));
  if (keys.length === 0) throw new Error(`${file}: no per-round figures of step 1c (a run of run.js that measured 1c, with TOLLGATE_BENCH_JSON set)`);
  for (const key of keys) (pooled[key] ??= []).push(...figures[key]);
  const sqlite = figures['1c sqlite p99 vs contrib ms, per round'];
  process.stdout.write(`${file}: ${date}, build ${build}, ${sqlite?.length ?? 0} rounds, SQLite ${signed(median(sqlite ?? [NaN]))} (median per round)\n`);
}
const again = pooled['1c contrib again p99 vs contrib ms, per round'];
const offset = Math.abs(median(again));
process.stdout.write(`pooled: ${again.length} rounds; contrib run again ${signed(median(again))} (the offset)\n`);
for (const [key, diffs] of Object.entries(pooled)) {
  if (key.startsWith('1c contrib again')) continue;
  const interval = widened(medianInterval(diffs), offset);
  const name = key.slice('1c '.length, key.indexOf(' p99'));
  const verdict = name === 'sqlite' ? `; target p99 ≤ contrib + 1 ms: ${intervalVerdict(interval, 1, signed)}` : '';
  process.stdout.write(`${name}: ${signed(median(diffs))}, 95 % interval ${medianInterval(diffs).map(signed).join(' to ')}, widened ${interval.map(signed).join(' to ')}${verdict}\n`);
}
