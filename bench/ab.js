// Two builds measured by the same benchmark in one run, their processes taking turns batch by
// batch (lib/isolated.js): for comparing a change, or a design against an earlier one.
//   node bench/ab.js <overhead|client|eld|throughput|ledger> <dist A> <dist B> [rounds]
// Each tollgate variant of the benchmark runs once per build; the baseline (bare span, contrib
// instrumentation) runs once, from build B. Prints, per variant, the median per operation under
// each build and the median over rounds of the per-round ratio B / A.
import { resolve } from 'node:path';
import { runIsolated } from './lib/isolated.js';
import { fmtNs, fmtRatio, median, medianRatio } from './lib/measure.js';
import { ELD_CALLS, WARM_CALLS } from './openaiClient.js';
import { LEDGER_BATCH, LEDGER_ROUNDS, NAMES as THROUGHPUT } from './throughput.js';

const [which, distA, distB, roundsArg] = process.argv.slice(2);
if (distA === undefined || distB === undefined) {
  process.stderr.write('usage: node bench/ab.js <overhead|client|eld|throughput|ledger> <dist A> <dist B> [rounds]\n');
  process.exit(2);
}
const BENCHES = {
  overhead: { module: 'overhead.js', baseline: 'bare OTel span', tollgate: ['tollgate.llm'], options: { batch: 4000, warmup: 4, rounds: 31 }, perOp: 1 },
  client: {
    module: 'openaiClient.js',
    baseline: 'openai + @opentelemetry/instrumentation-openai',
    tollgate: ['openai + tollgate instrumentOpenAI', 'openai + tollgate instrumentOpenAI, SQLite store'],
    options: { batch: 100, warmup: WARM_CALLS / 100, rounds: 31 },
    perOp: 1,
  },
  eld: {
    module: 'openaiClient.js',
    baseline: 'openai + @opentelemetry/instrumentation-openai',
    tollgate: ['openai + tollgate instrumentOpenAI, SQLite store'],
    options: { batch: 1, warmup: WARM_CALLS / ELD_CALLS, rounds: 7, args: { inFlight: 200, delayMs: 200 } },
    perOp: 1000,
  },
  throughput: {
    module: 'throughput.js',
    baseline: 'bare OTel span per call (no tollgate)',
    tollgate: ['tollgate.llm, memory store', 'tollgate.llm, SQLite store (default: WAL, durability "transaction")'],
    options: { batch: 300, warmup: 2, rounds: 15, args: { redisPrefix: 'tollgate-bench-ab:' } },
    perOp: 1,
  },
  // Benchmark 2b's SQLite variants (an empty file and one holding a history); times are per settlement.
  ledger: {
    module: 'throughput.js',
    baseline: THROUGHPUT.ledgerMemory,
    tollgate: [THROUGHPUT.ledgerSqlite, THROUGHPUT.ledgerSqliteHistory],
    options: { batch: 1, warmup: 1, rounds: LEDGER_ROUNDS, args: { redisPrefix: 'tollgate-bench-ab:' } },
    perOp: LEDGER_BATCH,
  },
};
const spec = BENCHES[which];
if (spec === undefined) throw new Error(`unknown benchmark ${which}`);
const a = resolve(distA);
const b = resolve(distB);
const names = [spec.baseline];
const variantOf = { [spec.baseline]: spec.baseline };
const dists = { [spec.baseline]: b };
for (const v of spec.tollgate) {
  for (const [tag, dist] of [['A', a], ['B', b]]) {
    const name = `${v} [${tag}]`;
    names.push(name);
    variantOf[name] = v;
    dists[name] = dist;
  }
}
// The overhead benchmark gives its baseline span the attributes of tollgate's span (of build B).
let args = { ...spec.options.args, variantOf };
if (which === 'overhead') {
  process.env.TOLLGATE_BENCH_DIST = b;
  const { spanAttributesOf } = await import('./overhead.js');
  args = { ...args, attrs: await spanAttributesOf() };
}
const rounds = roundsArg !== undefined ? Number(roundsArg) : spec.options.rounds;
const r = await runIsolated(spec.module, names, { ...spec.options, rounds, args, dists, baseline: spec.baseline });
const out = [`A = ${a}`, `B = ${b}`, `${which}: ${rounds} rounds`];
out.push(`${spec.baseline}: ${fmtNs(r[spec.baseline].medianNs / spec.perOp)}`);
for (const v of spec.tollgate) {
  const ra = r[`${v} [A]`];
  const rb = r[`${v} [B]`];
  const perRound = medianRatio(rb.samples, ra.samples);
  out.push(`${v}: A ${fmtNs(ra.medianNs / spec.perOp)} (${fmtRatio(ra.ratio)} baseline), B ${fmtNs(rb.medianNs / spec.perOp)} (${fmtRatio(rb.ratio)} baseline); B / A per round ${fmtRatio(perRound)}`);
  const base = r[spec.baseline];
  if (rb.batchExtras[0]?.cpuNs !== undefined) {
    // CPU time of the measuring process per batch (what 1b and 1c judge), beside the wall time above.
    const cpu = (res) => res.batchExtras.map((e) => e.cpuNs);
    const ratioTo = (x, y) => medianRatio(cpu(x), cpu(y));
    const perOp = (res) => fmtNs(median(cpu(res)) / spec.options.batch / spec.perOp);
    out.push(`  CPU: A ${perOp(ra)} (${fmtRatio(ratioTo(ra, base))} baseline), B ${perOp(rb)} (${fmtRatio(ratioTo(rb, base))} baseline); B / A per round ${fmtRatio(ratioTo(rb, ra))}`);
  }
  if (rb.batchExtras[0]?.p50 !== undefined) {
    const p = (res, k) => `${(median(res.batchExtras.map((e) => e[k])) / 1e6).toFixed(2)} ms`;
    out.push(`  event-loop delay p50 / p99: A ${p(ra, 'p50')} / ${p(ra, 'p99')}, B ${p(rb, 'p50')} / ${p(rb, 'p99')}; baseline ${p(base, 'p50')} / ${p(base, 'p99')}`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
