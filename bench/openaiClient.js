// Benchmark 1b: the real `openai` client (chat.completions.create, non-streaming) against the
// fake OpenAI server of src/demo/fakes running in another process (lib/fakeServerProcess.js):
// no instrumentation vs @opentelemetry/instrumentation-openai vs tollgate's instrumentOpenAI on
// the memory, SQLite (the default; durability 'transaction') and Redis stores. Each variant runs
// in a process of its own (lib/isolated.js), so the contrib instrumentation's require hook
// patches only the process that measures it. Each batch reports the process's CPU time
// (process.cpuUsage) beside its wall time. `sqlite`: options of the SQLite variant's store (an A/B of them).
//
// Benchmark 1c: the same clients with many calls in flight at once, the fake server holding
// every request `delayMs` before it answers: the event-loop delay (perf_hooks
// monitorEventLoopDelay) while the calls run, which is what the rest of a service feels.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { fromDist } from './lib/dist.js';
import { runIsolated } from './lib/isolated.js';
import { median, medianRatio } from './lib/measure.js';
import { makeBareProvider, makeTollgate, steadyPrune, tempSqlite } from './lib/setup.js';
import { redisKeysRemoved, redisUnavailable } from './lib/redis.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const BODY = { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello in five words.' }] };
export const NAMES = {
  none: 'openai, no instrumentation',
  contrib: 'openai + @opentelemetry/instrumentation-openai',
  contribMetrics: 'openai + @opentelemetry/instrumentation-openai, its metrics recorded',
  /** The contrib variant again, in processes of its own: how far apart two identical variants measure (1b's and 1c's noise floor). */
  contribAgain: 'openai + @opentelemetry/instrumentation-openai, again in other processes',
  tollgate: 'openai + tollgate instrumentOpenAI',
  tollgateSqlite: 'openai + tollgate instrumentOpenAI, SQLite store',
  tollgateRedis: 'openai + tollgate instrumentOpenAI, Redis store',
};
/** Benchmark 1c: calls in flight at once, calls per timed batch, and how long the fake server holds each request. */
export const IN_FLIGHT = 200;
export const ELD_CALLS = 1000;
export const ELD_DELAY_MS = 200;
/**
 * Calls every variant makes before its batches are timed (1b and 1c). V8 goes on optimising the
 * code of a real call (the openai client, undici, the instrumentation) for about 4,000 calls:
 * `--trace-opt` counts 88, 76, 57, 45, 20, 9... optimisations per 500 calls for contrib, 94, 96,
 * 73, 51, 20, 27... for tollgate. With 300 calls of warm-up the first half of the timed rounds
 * paid for compiling, and tollgate, having more code, paid more (bench/analysis.md).
 */
export const WARM_CALLS = 5000;

/** Starts lib/fakeServerProcess.js; resolves to its base URL and a stop function. */
function startFakeServer(delayMs) {
  const child = fork(join(here, 'lib', 'fakeServerProcess.js'), [String(delayMs)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ baseURL: msg.baseURL, close: () => child.kill() }));
    child.once('exit', (code) => reject(new Error(`fake server process exited ${code}`)));
  });
}

/** An SDK MeterProvider whose reader aggregates every recording (its export interval is longer than a run). */
async function recordingMeterProvider() {
  const { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  return new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] });
}

/** A tollgate on the store the variant names (memory, SQLite default, or Redis), and its clean-up. */
async function tollgateFor(name, redisPrefix, sqliteOptions) {
  if (name === NAMES.tollgateSqlite) {
    const sqlite = tempSqlite();
    return { t: makeTollgate({ store: sqlite.store, ...(sqliteOptions === undefined ? {} : { sqlite: sqliteOptions }) }), remove: sqlite.remove };
  }
  if (name === NAMES.tollgateRedis) {
    const { RedisLedger } = await fromDist('src/ledger/redis.js');
    const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, commandTimeoutMs: 5000 });
    await ledger.ping();
    return { t: makeTollgate({ ledger }), remove: () => redisKeysRemoved(redisPrefix).catch(() => 0) };
  }
  return { t: makeTollgate({}), remove: () => undefined };
}

/**
 * One variant, set up in the process that measures it: a client of the kind named against the
 * fake server in its own process. Without `inFlight`, one operation is one call. With
 * `inFlight`, one operation is ELD_CALLS calls run `inFlight` at a time, the server holding each
 * `delayMs`, and each batch reports the event-loop delay seen while it ran. Every batch reports
 * its CPU time (`cpuNs`).
 */
export async function variant(name, { inFlight, delayMs = 0, redisPrefix = `tollgate-bench:${randomUUID()}:`, sqlite } = {}) {
  const fake = await startFakeServer(inFlight === undefined ? 0 : delayMs);
  const options = { baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 };
  let client;
  let t;
  let remove = () => undefined;
  if (name === NAMES.contrib || name === NAMES.contribAgain || name === NAMES.contribMetrics) {
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation();
    // This version leaves its metric instruments unset until a meter provider is given. The
    // baseline gets the API's no-op one (no metrics SDK registered); the other variant an SDK
    // MeterProvider with a reader, so its token-usage and duration histograms are recorded, as
    // tollgate's metrics are in every tollgate variant.
    instrumentation.setMeterProvider(name === NAMES.contribMetrics ? await recordingMeterProvider() : metrics.getMeterProvider());
    instrumentation.setTracerProvider(makeBareProvider());
    instrumentation.enable();
    // The instrumentation patches the CommonJS build of `openai` when it is required.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
  } else {
    // The same CommonJS build as the contrib variant, so that only the instrumentation differs.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
    if (name !== NAMES.none) {
      const { instrumentOpenAI } = await fromDist('instrumentations/openai/index.js');
      ({ t, remove } = await tollgateFor(name, redisPrefix, sqlite));
      await t.tollgate.ready;
      client = instrumentOpenAI(client, t.tollgate);
    }
  }
  // Each variant does what it says once before it is timed.
  const res = await client.chat.completions.create(BODY);
  if (res.usage?.completion_tokens !== 20) throw new Error('fake OpenAI did not answer as expected');
  if (t !== undefined) {
    await t.tollgate.forceFlush();
    const usage = await t.tollgate.usage({ by: 'model' });
    if (usage[0]?.calls !== 1 || !(usage[0].costNanos > 0)) throw new Error(`tollgate did not price the call: ${JSON.stringify(usage)}`);
  }
  const close = async () => {
    await t?.shutdown();
    fake.close();
    await remove();
  };
  const prune = t !== undefined ? steadyPrune(t.tollgate.ledger) : undefined;
  let cpuStart;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const beforeBatch = () => {
    if (inFlight !== undefined) {
      histogram.reset();
      histogram.enable();
    }
    cpuStart = process.cpuUsage();
  };
  const afterBatch = () => {
    const cpu = process.cpuUsage(cpuStart);
    const cpuNs = (cpu.user + cpu.system) * 1000;
    if (inFlight === undefined) return { cpuNs };
    histogram.disable();
    return { cpuNs, p50: histogram.percentile(50), p99: histogram.percentile(99), max: histogram.max, mean: histogram.mean };
  };
  const many = async () => {
    let next = 0;
    const worker = async () => {
      while (next < ELD_CALLS) {
        next++;
        await client.chat.completions.create(BODY);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    await t?.tollgate.forceFlush();
  };
  return {
    fn: inFlight === undefined ? () => client.chat.completions.create(BODY) : many,
    // Timed: the batch ends when its settlements are in the store.
    ...(t !== undefined && inFlight === undefined ? { endBatch: () => t.tollgate.forceFlush() } : {}),
    beforeBatch,
    afterBatch,
    ...(prune !== undefined ? { between: prune } : {}),
    close,
  };
}

/**
 * What bench/callProfile.js and bench/allocProfile.js start from: the 1b variant named by the
 * command line (`[variant] [calls]`, a key of NAMES, default tollgateSqlite; exits 2 on an
 * unknown one), in this process, warmed up as 1b warms it. Returns it with `calls` (the number
 * asked for, `defaultCalls` unless given) and `batch(n)`, which makes n calls as 1b's batches do.
 */
export async function warmedVariant(tool, defaultCalls) {
  const key = process.argv[2] ?? 'tollgateSqlite';
  const calls = Number(process.argv[3] ?? defaultCalls);
  if (NAMES[key] === undefined) {
    process.stderr.write(`unknown variant "${key}"; one of: ${Object.keys(NAMES).join(', ')}\n`);
    process.exit(2);
  }
  const v = await variant(NAMES[key], {});
  const batch = async (n) => {
    for (let i = 0; i < n; i += 100) {
      for (let j = 0; j < 100; j++) await v.fn();
      await v.endBatch?.();
    }
  };
  process.stderr.write(`${tool}: ${WARM_CALLS} calls of warm-up, then ${calls} measured (${NAMES[key]})\n`);
  await batch(WARM_CALLS);
  return { name: NAMES[key], calls, batch, close: v.close };
}

/**
 * The variants of 1b (with `contribMetrics`) and 1c: both run the contrib variant twice (the noise
 * floor their targets are judged with), and tollgate on every store, Redis when a server answers
 * on 127.0.0.1:6379.
 */
async function variantNames(for1b = false) {
  const names = [NAMES.none, NAMES.contrib, NAMES.contribAgain, ...(for1b ? [NAMES.contribMetrics] : []), NAMES.tollgate, NAMES.tollgateSqlite];
  const unavailable = await redisUnavailable();
  if (unavailable === undefined) names.push(NAMES.tollgateRedis);
  return { names, redisUnavailable: unavailable };
}

/**
 * Processes per variant in 1b and 1c (TOLLGATE_BENCH_COPIES overrides; a round's batch time, CPU
 * time and delay percentiles are then the means of theirs). One: two processes of one variant
 * differ by an offset of their own (contrib against contrib 0.89x to 1.03x in 1b), but with two
 * a variant each process waits twice as long between its batches, and a real call got dearer
 * for every variant and more so for tollgate's (1b one after the other, 2026-12-04 23:08 UTC:
 * contrib 456 -> 528 us of CPU a call, tollgate on SQLite 483 -> 705 us, its per-round quartiles
 * 0.75-1.20x -> 1.11-1.71x). Step 6, whose batches are short, runs two.
 */
export const COPIES = Number(process.env.TOLLGATE_BENCH_COPIES ?? 1);

/** Per variant, the median over rounds of a batch's CPU time per operation, and of its ratio to the baseline's in the same round. */
function cpuOf(results, baseline, perOp) {
  const base = results[baseline].batchExtras.map((e) => e.cpuNs);
  const out = {};
  for (const [name, r] of Object.entries(results)) {
    const cpu = r.batchExtras.map((e) => e.cpuNs);
    out[name] = { cpuNs: median(cpu) / perOp, cpuRatio: medianRatio(cpu, base), cpuSamples: cpu };
  }
  return out;
}

export async function runOpenAIClient() {
  const { names, redisUnavailable } = await variantNames(true);
  const results = await runIsolated('openaiClient.js', names, {
    rounds: Number(process.env.TOLLGATE_BENCH_ROUNDS ?? 41),
    warmup: WARM_CALLS / 100,
    batch: 100,
    baseline: NAMES.contrib,
    copies: COPIES,
  });
  const cpu = cpuOf(results, NAMES.contrib, 100);
  for (const name of names) Object.assign(results[name], cpu[name]);
  return { results, redisUnavailable };
}

/** Rounds of benchmark 1c: a batch's p99 moves by milliseconds from round to round, so its target is judged over the rounds. */
export const ELD_ROUNDS = 15;

/**
 * Benchmark 1c: per variant, wall and CPU ns per call with IN_FLIGHT calls in flight, the medians
 * over batches of the event-loop delay percentiles (ns), and each batch's p99 (`p99Samples`).
 */
export async function runEventLoopDelay() {
  const { names, redisUnavailable } = await variantNames();
  const results = await runIsolated('openaiClient.js', names, {
    rounds: Number(process.env.TOLLGATE_BENCH_ROUNDS ?? ELD_ROUNDS),
    warmup: WARM_CALLS / ELD_CALLS,
    batch: 1,
    args: { inFlight: IN_FLIGHT, delayMs: ELD_DELAY_MS },
    baseline: NAMES.contrib,
    copies: COPIES,
  });
  const cpu = cpuOf(results, NAMES.contrib, ELD_CALLS);
  const out = {};
  for (const [name, r] of Object.entries(results)) {
    const pick = (k) => median(r.batchExtras.map((e) => e[k]));
    out[name] = {
      nsPerCall: r.medianNs / ELD_CALLS,
      ratio: r.ratio,
      p50: pick('p50'),
      p99: pick('p99'),
      max: pick('max'),
      mean: pick('mean'),
      p99Samples: r.batchExtras.map((e) => e.p99),
      ...cpu[name],
    };
  }
  return { results: out, redisUnavailable };
}
