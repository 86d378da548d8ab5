// Runs every benchmark and writes bench/results.md. Usage: `npm run bench`
// (= `npm run build && node --expose-gc bench/run.js`). Needs the built package in dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinCores } from './lib/isolated.js';
import { fmtNs, fmtRatio, intervalVerdict, mean, median, medianInterval, medianRatio, medianRatioInterval, roundDifferences, roundRatios, widened } from './lib/measure.js';
import { DIST } from './lib/dist.js';
import { COPIES as CLIENT_COPIES, ELD_CALLS, ELD_DELAY_MS, IN_FLIGHT, NAMES as CLIENT, runEventLoopDelay, runOpenAIClient, WARM_CALLS } from './openaiClient.js';
import { BASELINE as SCALE_BASELINE, BASELINE_AGAIN as SCALE_AGAIN, KEYED, runBudgetsAtScale, TASK_IDS } from './budgetsAtScale.js';
import { runOverhead } from './overhead.js';
import { runPricing } from './pricing.js';
import { runScrape } from './scrape.js';
import { BATCH, LEDGER_BATCH, LEDGER_IN_FLIGHT, LEDGER_ROUNDS, NAMES as THROUGHPUT, runLedgerThroughput, runThroughput } from './throughput.js';

const here = dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;
const rows = [];
const notes = [];
/** Key figures as numbers, written to TOLLGATE_BENCH_JSON when set (to compare runs and builds). */
const figures = {};
const startedAt = new Date();

function row(bench, variant, value, baseline, ratio, target, met) {
  rows.push({ bench, variant, value, baseline, ratio, target, met });
}
const verdict = (ok) => (ok ? 'met' : '**missed**');
/** First and third quartile of the per-round ratios a / b. */
function quartiles(a, b) {
  const r = roundRatios(a, b).sort((x, y) => x - y);
  const q = (p) => r[Math.min(r.length - 1, Math.floor(p * r.length))];
  return `${fmtRatio(q(0.25))} – ${fmtRatio(q(0.75))}`;
}
const log = (msg) => process.stderr.write(`${msg}\n`);

/** TOLLGATE_BENCH_ONLY=1b,1c: run only the steps whose names start with one of these. */
const only = process.env.TOLLGATE_BENCH_ONLY?.split(',').map((x) => x.trim());

async function step(name, fn) {
  if (only !== undefined && !only.some((o) => name.startsWith(`${o} `))) return;
  log(`bench: ${name}...`);
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    row(name, 'FAILED', String(err instanceof Error ? err.message : err), '', '', '', 'error');
    log(err instanceof Error ? err.stack : String(err));
  }
  log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await step('1a per-call overhead', async () => {
  const { results: r, spanAttributeCount, openSpansAfter } = await runOverhead();
  const call = r['bare call'];
  const span = r['bare OTel span'];
  const tg = r['tollgate.llm'];
  row('1a per-call overhead', 'bare function call (awaited)', fmtNs(call.medianNs), '', '', '', '');
  row('1a per-call overhead', `bare OTel span, same ${spanAttributeCount} attributes, no-op processor`, fmtNs(span.medianNs), 'bare call', fmtRatio(span.medianNs / call.medianNs), '', '');
  row('1a per-call overhead', 'tollgate.llm (memory store, 1 daily deny budget)', fmtNs(tg.medianNs), 'bare OTel span', fmtRatio(tg.ratio), '≤ 1.5×', verdict(tg.ratio <= 1.5));
  figures['1a ratio'] = tg.ratio;
  figures['1a tollgate ns'] = tg.medianNs;
  figures['1a span ns'] = span.medianNs;
  figures['1a attributes'] = spanAttributeCount;
  notes.push(
    `1a: ratio = median over ${tg.samples.length} rounds of (tollgate batch ÷ bare-span batch of the same round); quartiles of the per-round ratios ${quartiles(tg.samples, span.samples)}. ` +
      `Spans left open after the run: ${openSpansAfter}. The tollgate span ends with ${spanAttributeCount} attributes (the baseline span is given the same ones).`,
  );
  if (tg.ratio > 1.5) notes.push(`1a: missed by ${fmtRatio(tg.ratio / 1.5)} (${fmtNs(tg.medianNs - 1.5 * span.medianNs)} per call over the target).`);
});

const CLIENT_LABEL = {
  [CLIENT.none]: 'no instrumentation',
  [CLIENT.contrib]: '@opentelemetry/instrumentation-openai',
  [CLIENT.contribAgain]: '@opentelemetry/instrumentation-openai again, in other processes (the noise floor)',
  [CLIENT.contribMetrics]: '@opentelemetry/instrumentation-openai, its metrics recorded (SDK MeterProvider)',
  [CLIENT.tollgate]: 'tollgate instrumentOpenAI, memory store',
  [CLIENT.tollgateSqlite]: 'tollgate instrumentOpenAI, SQLite (default store, default durability)',
  [CLIENT.tollgateRedis]: 'tollgate instrumentOpenAI, Redis (127.0.0.1:6379)',
};
const FIGURE_KEY = { [CLIENT.none]: 'none', [CLIENT.contrib]: 'contrib', [CLIENT.contribAgain]: 'contrib again', [CLIENT.contribMetrics]: 'contrib metrics', [CLIENT.tollgate]: 'memory', [CLIENT.tollgateSqlite]: 'sqlite', [CLIENT.tollgateRedis]: 'redis' };

await step('1b real openai client', async () => {
  const { results: r, redisUnavailable } = await runOpenAIClient();
  const bench = '1b openai chat.completions.create (fake server in another process): CPU time a call';
  const none = r[CLIENT.none];
  // Two processes of one variant differ by more than the rounds' noise (each process has its own
  // offset, which more rounds do not remove): a ratio's interval is the bootstrap's over the
  // rounds, widened by how far contrib, run again in other processes, came out from the first.
  const offset = Math.abs(r[CLIENT.contribAgain].cpuRatio - 1);
  const interval = (v) => widened(medianRatioInterval(v.cpuSamples, r[CLIENT.contrib].cpuSamples), offset);
  for (const [name, v] of Object.entries(r)) {
    const isContrib = name === CLIENT.contrib;
    const target = name === CLIENT.tollgateSqlite ? '≤ 1.05×' : '';
    const latency = name === CLIENT.none ? `${fmtNs(v.medianNs)} a call` : `${fmtNs(v.medianNs)} a call (${v.medianNs >= none.medianNs ? '+' : '−'}${fmtNs(Math.abs(v.medianNs - none.medianNs))} vs none)`;
    row(bench, CLIENT_LABEL[name], `${fmtNs(v.cpuNs)} CPU; ${latency}`, isContrib ? '' : 'instrumentation-openai', isContrib ? '' : `${fmtRatio(v.cpuRatio)} CPU, ${fmtRatio(v.ratio)} time`, target, target === '' ? '' : intervalVerdict(interval(v), 1.05));
    figures[`1b ${FIGURE_KEY[name]} cpu ns`] = v.cpuNs;
    figures[`1b ${FIGURE_KEY[name]} cpu ratio`] = v.cpuRatio;
    figures[`1b ${FIGURE_KEY[name]} ns`] = v.medianNs;
  }
  const sqlite = r[CLIENT.tollgateSqlite];
  notes.push(
    `1b: ${sqlite.cpuSamples.length} rounds of 100 calls one after another per process, ${CLIENT_COPIES === 1 ? 'one process a variant' : `${CLIENT_COPIES} processes a variant (a round's figures the mean of theirs)`}, after ${WARM_CALLS.toLocaleString('en-US')} calls of warm-up (the JIT has stopped optimising by then); CPU = process.cpuUsage() (user + system) of the measuring process over a batch, which ends when tollgate's settlements are committed (forceFlush); ` +
      `ratios = median over rounds of the per-round ratio to the contrib instrumentation (SQLite CPU quartiles ${quartiles(sqlite.cpuSamples, r[CLIENT.contrib].cpuSamples)}, ` +
      `95 % interval of the median ${medianRatioInterval(sqlite.cpuSamples, r[CLIENT.contrib].cpuSamples).map(fmtRatio).join('–')} by bootstrap over the rounds, ` +
      `${interval(sqlite).map(fmtRatio).join('–')} widened by the offset of contrib run again in other processes). ` +
      `Added latency = wall time a call minus the uninstrumented client's (the fake server answers at once).`,
  );
  const withMetrics = r[CLIENT.contribMetrics];
  const sqliteVsMetrics = medianRatio(sqlite.cpuSamples, withMetrics.cpuSamples);
  figures['1b sqlite cpu ratio vs contrib metrics'] = sqliteVsMetrics;
  notes.push(
    `1b: tollgate records its metrics in every variant; measured against the contrib instrumentation with its metrics recorded too (an SDK MeterProvider with a reader), ` +
      `tollgate on SQLite costs ${fmtRatio(sqliteVsMetrics)} CPU (memory store ${fmtRatio(medianRatio(r[CLIENT.tollgate].cpuSamples, withMetrics.cpuSamples))}). The target is stated against the plain contrib variant.`,
  );
  notes.push(
    `1b: the noise floor: the contrib variant run again in other processes measured ${fmtRatio(r[CLIENT.contribAgain].cpuRatio)} the first's CPU ` +
      `(95 % interval ${medianRatioInterval(r[CLIENT.contribAgain].cpuSamples, r[CLIENT.contrib].cpuSamples).map(fmtRatio).join('–')}, per-round quartiles ${quartiles(r[CLIENT.contribAgain].cpuSamples, r[CLIENT.contrib].cpuSamples)}); ` +
      "two processes of one variant differ by an offset of their own that more rounds do not remove, so the target is judged met or missed only when the SQLite ratio's interval, widened by this offset, lies on one side of it.",
  );
  if (redisUnavailable !== undefined) notes.push(`1b: Redis not measured: ${redisUnavailable}`);
});

await step('1c event-loop delay, calls in flight', async () => {
  const { results: r, redisUnavailable } = await runEventLoopDelay();
  const ms = (ns) => `${(ns / 1e6).toFixed(2)} ms`;
  const signedMs = (ns) => `${ns >= 0 ? '+' : '−'}${ms(Math.abs(ns))}`;
  const bench = `1c openai, ${IN_FLIGHT} calls in flight, server holds each ${ELD_DELAY_MS} ms: event-loop delay p50 / p99 / max`;
  const contrib = r[CLIENT.contrib];
  // A batch's p99 moves by milliseconds from round to round, and a process by an offset of its
  // own (as in 1b): the target is judged on the per-round differences to contrib's p99, by a
  // bootstrap interval of their median widened by how far contrib run again came out.
  const diffs = (v) => roundDifferences(v.p99Samples, contrib.p99Samples);
  const offset = Math.abs(median(diffs(r[CLIENT.contribAgain])));
  const interval = (v) => widened(medianInterval(diffs(v)), offset);
  for (const [name, v] of Object.entries(r)) {
    const isContrib = name === CLIENT.contrib;
    const target = name === CLIENT.tollgateSqlite ? 'p99 ≤ contrib + 1 ms' : '';
    row(
      bench,
      CLIENT_LABEL[name],
      `${ms(v.p50)} / ${ms(v.p99)} / ${ms(v.max)}; ${fmtNs(v.cpuNs)} CPU a call`,
      isContrib ? '' : 'instrumentation-openai',
      isContrib ? '' : `p99 ${signedMs(median(diffs(v)))} (median per round); ${fmtRatio(v.cpuRatio)} CPU`,
      target,
      target === '' ? '' : intervalVerdict(interval(v), 1e6, signedMs),
    );
    figures[`1c ${FIGURE_KEY[name]} p50 ms`] = v.p50 / 1e6;
    figures[`1c ${FIGURE_KEY[name]} p99 ms`] = v.p99 / 1e6;
    if (!isContrib) figures[`1c ${FIGURE_KEY[name]} p99 vs contrib ms`] = median(diffs(v)) / 1e6;
    // Every round's difference, so that runs can be pooled (bench/pool1c.js).
    if (!isContrib) figures[`1c ${FIGURE_KEY[name]} p99 vs contrib ms, per round`] = diffs(v).map((d) => d / 1e6);
    figures[`1c ${FIGURE_KEY[name]} cpu ratio`] = v.cpuRatio;
  }
  const sqlite = r[CLIENT.tollgateSqlite];
  notes.push(
    `1c: ${IN_FLIGHT} calls in flight at once, ${CLIENT_COPIES === 1 ? 'one process a variant' : `${CLIENT_COPIES} processes a variant (a round's figures the mean of theirs)`}, ${ELD_CALLS} calls a batch after ${WARM_CALLS.toLocaleString('en-US')} calls of warm-up, ${sqlite.p99Samples.length} rounds, the fake server (another process) holding every request ${ELD_DELAY_MS} ms; the delay is how late a 1 ms timer fires (perf_hooks.monitorEventLoopDelay, resolution 1 ms) while a batch runs; ` +
      "p50 / p99 / max are medians over batches of each batch's percentile; the p99 against contrib is the median of per-round differences; the CPU ratio is the median of per-round ratios to the contrib instrumentation.",
  );
  notes.push(
    `1c: the noise floor: contrib run again in other processes came out ${signedMs(median(diffs(r[CLIENT.contribAgain])))} from the first (median per round); ` +
      `SQLite's per-round p99 difference has a 95 % interval of ${medianInterval(diffs(sqlite)).map(signedMs).join(' to ')} by bootstrap over the rounds, ${interval(sqlite).map(signedMs).join(' to ')} widened by that offset; ` +
      'the target is met or missed only when the widened interval lies on one side of +1 ms.',
  );
  if (redisUnavailable !== undefined) notes.push(`1c: Redis not measured: ${redisUnavailable}`);
});

await step('2 calls per second end to end', async () => {
  const { results: r, redisUnavailable } = await runThroughput();
  const perSec = (ns) => `${Math.round(1e9 / ns).toLocaleString('en-US')}/s`;
  const span = r[THROUGHPUT.span];
  row('2 calls/s, one after another', THROUGHPUT.span, `${perSec(span.medianNs)} (${fmtNs(span.medianNs)} each)`, '', '', '', '');
  const keys = { [THROUGHPUT.memory]: 'memory', [THROUGHPUT.sqlite]: 'sqlite', [THROUGHPUT.redis]: 'redis' };
  for (const name of [THROUGHPUT.memory, THROUGHPUT.sqlite, THROUGHPUT.redis]) {
    const v = r[name];
    if (v === undefined) continue;
    row('2 calls/s, one after another', name, `${perSec(v.medianNs)} (${fmtNs(v.medianNs)} each)`, 'bare OTel span', `${fmtRatio(v.ratio)} time`, '', '');
    figures[`2 ${keys[name]} per s`] = 1e9 / v.medianNs;
    figures[`2 ${keys[name]} ratio`] = v.ratio;
  }
  notes.push(
    `2: every call goes through tollgate.llm (the call driver) against a daily deny budget, one call after another, each batch timed until its settlements are in the store (tollgate.forceFlush); ` +
      `batches of ${BATCH.memory} calls (memory) and ${BATCH.sqlite} (SQLite, Redis); ratio = median of per-round ratios to a bare OTel span per call with the same attributes. ` +
      `Settled calls counted per store at the end (before the last prune): ${Object.values(r).map((v) => v.extra?.calls).filter((c) => c !== undefined).join(', ')}; open spans: ${Object.values(r).map((v) => v.extra?.openSpans ?? 0).join(', ')}.`,
  );
  if (redisUnavailable !== undefined) notes.push(`2: Redis not measured: ${redisUnavailable}`);
});

await step('2b settlements per second, one process', async () => {
  const { results: r, redisUnavailable } = await runLedgerThroughput();
  const bench = `2b one process, each store alone: reserve + settle, ${LEDGER_IN_FLIGHT} calls in flight`;
  const memory = r[THROUGHPUT.ledgerMemory];
  const perSec = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
  for (const [name, v] of Object.entries(r)) {
    const isMemory = name === THROUGHPUT.ledgerMemory;
    const target = isMemory ? '' : '≥ 50,000/s';
    const vsMemory = isMemory || memory === undefined ? ['', ''] : [THROUGHPUT.ledgerMemory, `${(v.perSecond / memory.perSecond).toFixed(2)}× its settlements/s`];
    row(bench, name, `${perSec(v.perSecond)} (${fmtNs(v.nsPerSettlement)} each)`, ...vsMemory, target, target === '' ? '' : verdict(v.perSecond >= 50_000));
    figures[`2b ${name} per s`] = v.perSecond;
  }
  notes.push(
    `2b: median of ${LEDGER_ROUNDS} rounds (${LEDGER_BATCH.toLocaleString('en-US')} pairs a batch, ${LEDGER_IN_FLIGHT} in flight, one daily deny bucket); slowest–fastest round: ` +
      Object.entries(r).map(([name, v]) => `${name} ${perSec(v.slowest)}–${perSec(v.fastest)}`).join('; ') + '.',
  );
  if (redisUnavailable !== undefined) notes.push(`2b: Redis not measured: ${redisUnavailable}`);
});

await step('3 /metrics scrape', async () => {
  const { results: r, counts, bytes } = await runScrape();
  const empty = r['empty registry'].medianNs;
  const tasks = r['10,000 task series'].medianNs;
  const models = r['10,000 provider/model pairs'].medianNs;
  row('3 GET /metrics (HTTP, 127.0.0.1)', `empty registry (${counts.empty} series)`, fmtNs(empty), '', '', '', '');
  figures['3 tasks ms'] = tasks / 1e6;
  row('3 GET /metrics (HTTP, 127.0.0.1)', `10,000 task series (${counts.tasks} series, ${(bytes.tasks / MB).toFixed(1)} MB)`, fmtNs(tasks), 'empty', fmtRatio(tasks / empty), '< 50 ms', verdict(tasks < 50e6));
  row('3 GET /metrics (HTTP, 127.0.0.1)', `10,000 provider/model pairs (${counts.models} series, ${(bytes.models / MB).toFixed(1)} MB)`, fmtNs(models), 'empty', fmtRatio(models / empty), '', '');
  if (tasks >= 50e6) notes.push(`3: 10k task series missed by ${fmtNs(tasks - 50e6)} (${fmtRatio(tasks / 50e6)} the target).`);
  notes.push(
    `3: each provider/model pair makes ${Math.round(counts.models / 10_000)} series (calls, input/output tokens, cost, and a 14-bucket duration histogram), so 10k pairs is ${counts.models.toLocaleString('en-US')} series; shown for scale, not against the target.`,
  );
});

await step('4 memory', async () => {
  const runChild = (mode, calls) => {
    const res = spawnSync(process.execPath, ['--expose-gc', join(here, 'memory.js'), mode, String(calls)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (res.status !== 0) throw new Error(`memory.js ${mode} exited ${res.status}: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split('\n').pop());
  };
  const bounded = runChild('bounded', 1_000_000);
  const [p0, p100k, p1m] = bounded.points;
  const growth = p1m.rssBytes - p100k.rssBytes;
  for (const p of bounded.points) {
    row('4 memory, ledger pruned every 10k calls', `after ${p.calls.toLocaleString('en-US')} calls`, `RSS ${(p.rssBytes / MB).toFixed(1)} MB, heap ${(p.heapUsedBytes / MB).toFixed(1)} MB`, '', '', '', '');
  }
  figures['4 rss growth MB'] = growth / MB;
  figures['4 heap growth MB'] = (p1m.heapUsedBytes - p100k.heapUsedBytes) / MB;
  row('4 memory, ledger pruned every 10k calls', 'RSS growth 100k → 1M calls', `${(growth / MB).toFixed(1)} MB (heap ${((p1m.heapUsedBytes - p100k.heapUsedBytes) / MB).toFixed(1)} MB)`, '', '', '< 10 MB', verdict(growth < 10 * MB));
  notes.push(
    `4 (bounded): ${bounded.seconds.toFixed(0)} s for 1M calls under 5,000 rotating task ids; trace ring held ${p1m.traces} trace summaries (cap 200; spans of the 20 most recent), ` +
      `task_cost_total_usd had ${bounded.taskSeries} series (cap 1,000), open spans ${p1m.openSpans}, records left in the ledger ${bounded.storedRecords}. Heap at 0 calls: ${(p0.heapUsedBytes / MB).toFixed(1)} MB.`,
  );
  const UNBOUNDED = 300_000;
  const unbounded = runChild('unbounded', UNBOUNDED);
  const [u0, u100k, uEnd] = unbounded.points;
  for (const p of unbounded.points) {
    row('4 memory, ledger never pruned', `after ${p.calls.toLocaleString('en-US')} calls`, `RSS ${(p.rssBytes / MB).toFixed(1)} MB, heap ${(p.heapUsedBytes / MB).toFixed(1)} MB`, '', '', '', '');
  }
  const perRecord = (uEnd.heapUsedBytes - u100k.heapUsedBytes) / (UNBOUNDED - 100_000);
  figures['4 unbounded heap MB'] = uEnd.heapUsedBytes / MB;
  figures['4 unbounded bytes per call'] = perRecord;
  notes.push(
    `4 (unbounded): MemoryLedger keeps every record, a key of its time and id (to settle each record once) and the per-day rollups until prune() (retention) runs, by design: ` +
      `${perRecord.toFixed(0)} bytes of heap per call between 100k and ${UNBOUNDED.toLocaleString('en-US')} calls (${unbounded.storedRecords.toLocaleString('en-US')} records held), ` +
      `i.e. about ${((perRecord * 900_000) / MB).toFixed(0)} MB from 100k to 1M calls. Heap at 0 calls: ${(u0.heapUsedBytes / MB).toFixed(1)} MB. Run to ${UNBOUNDED.toLocaleString('en-US')} calls only, to keep the whole run short.`,
  );
});

await step('5 price lookup', async () => {
  const { results: r } = await runPricing();
  const cached = r['cost(), cached resolution'].medianNs;
  figures['5 cached ns'] = cached;
  for (const [name, v] of Object.entries(r)) {
    row('5 PricingCatalog.cost()', name, fmtNs(v.medianNs), v.medianNs === cached ? '' : 'cached', v.medianNs === cached ? '' : fmtRatio(v.medianNs / cached), '', '');
  }
});

await step('6 budgets at scale', async () => {
  const r = await runBudgetsAtScale();
  const bench = `6 tollgate.llm, ${TASK_IDS.toLocaleString('en-US')} task ids, keyed per-task budgets`;
  const base = r[SCALE_BASELINE];
  const again = r[SCALE_AGAIN];
  // As in 1b: a ratio's interval over the rounds, widened by how far the baseline run again came out.
  const offset = Math.abs(again.ratio - 1);
  const interval = (v) => widened(medianRatioInterval(v.samples, base.samples), offset);
  row(bench, SCALE_BASELINE, fmtNs(base.medianNs), '', '', '', '');
  row(bench, SCALE_AGAIN, fmtNs(again.medianNs), 'single budget', fmtRatio(again.ratio), '', '');
  figures['6 baseline again ratio'] = again.ratio;
  for (const [name, count] of Object.entries(KEYED)) {
    const v = r[name];
    row(bench, name, fmtNs(v.medianNs), 'single budget', fmtRatio(v.ratio), '≤ 1.2×', intervalVerdict(interval(v), 1.2));
    figures[`6 ${count} keyed ratio`] = v.ratio;
  }
  const big = r['+ 100,000 keyed per-task budgets'];
  notes.push(
    `6: every call runs as one of ${TASK_IDS.toLocaleString('en-US')} task ids (a fixed stride through them); the keyed budgets' ids are spread evenly over them, so a call hits one with probability N / ${TASK_IDS.toLocaleString('en-US')}; ` +
      `every process first makes the same 100,000 calls, one as each id the 100,000 keyed budgets are for (so the store holds a counter for every keyed budget, and all variants the same history of calls: they differ only in their budgets); ratio = median of per-round ratios to the single budget over ${base.samples.length} rounds (quartiles of 100,000 keyed: ${quartiles(big.samples, base.samples)}; ` +
      `95 % interval of its median ${medianRatioInterval(big.samples, base.samples).map(fmtRatio).join('–')} by bootstrap over the rounds, ${interval(big).map(fmtRatio).join('–')} widened by the offset of the single budget run again in other processes, ${fmtRatio(again.ratio)}; ratio of the totals over all rounds, which counts every collector pause, ${fmtRatio(mean(big.samples) / mean(base.samples))}); ` +
      'the target is judged met or missed only when that widened interval lies on one side of 1.2×. ' +
      `Live heap at the end: ${base.extra.heapUsedMb} MB with the single budget, ${big.extra.heapUsedMb} MB with 100,000 keyed budgets.`,
  );
});

/** The commit the measured build was made from (with "+ uncommitted changes" when its tree differs), when dist/ sits in a git checkout. */
function buildId() {
  const root = dirname(DIST);
  const head = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return `${DIST} (not in a git checkout)`;
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'instrumentations'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''} (${DIST})`;
}

const cpus = os.cpus();
const lines = [
  '# tollgate benchmarks',
  '',
  `- Date: ${startedAt.toISOString()}`,
  `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB memory, ${os.platform()} ${os.release()}; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
  `- Node ${process.version}`,
  `- Build measured: ${buildId()}`,
  process.env.TOLLGATE_BENCH_DIST !== undefined
    ? '- Command: `TOLLGATE_BENCH_DIST=<that dist/> node --expose-gc bench/run.js`'
    : '- Command: `npm run bench` (= `npm run build && node --expose-gc bench/run.js`)',
  `- Duration: ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`,
  '',
  'Benchmarks 1a, 1b, 1c, 2, 2b and 6 run each variant in a process of its own; the processes take turns, one timed batch each per round',
  '(the order rotates each round), with no forced garbage collection, so every variant pays for its own garbage as a service would.',
  `Every process of a round runs on the same CPU core, the core alternating between rounds (${pinCores().length > 0 ? `taskset, cores ${pinCores().join(', ')}` : 'not pinned here: no taskset or one core'}).`,
  'Ratios marked "per round" are the median over rounds of one batch time over the baseline batch time of the same round.',
  'Benchmarks 3 and 5 interleave their variants in one process (`global.gc()` before each batch); 4 runs in child processes.',
  '',
  '| benchmark | variant | median | baseline | ratio | target | result |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.bench} | ${r.variant} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met} |`),
  '',
  '## Notes',
  '',
  ...notes.map((n) => `- ${n}`),
  '',
];
// TOLLGATE_BENCH_OUT: where to write the results (default bench/results.md); TOLLGATE_BENCH_JSON: the key figures as JSON.
const file = process.env.TOLLGATE_BENCH_OUT ?? join(here, 'results.md');
// Hand-written parts: the comparison of builds goes before the measured table, the analysis (what changed, why a target is missed) after it.
const handWritten = (name) => (existsSync(join(here, name)) ? readFileSync(join(here, name), 'utf8') : '');
const comparison = handWritten('comparison.md');
const [title, ...rest] = lines;
writeFileSync(file, [title, '', ...(comparison !== '' ? [comparison.trimEnd(), '', '## Latest full run', ''] : []), ...rest.slice(1)].join('\n') + (handWritten('analysis.md') !== '' ? `\n${handWritten('analysis.md')}` : ''));
if (process.env.TOLLGATE_BENCH_JSON !== undefined) writeFileSync(process.env.TOLLGATE_BENCH_JSON, `${JSON.stringify({ date: startedAt.toISOString(), build: buildId(), loadavg: os.loadavg(), figures }, null, 2)}\n`);
log(`bench: wrote ${file}`);
