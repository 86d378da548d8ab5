// Benchmark 1b: the real `openai` client (chat.completions.create, non-streaming) against the
// fake OpenAI server of src/demo/fakes, started in the same process: no instrumentation vs
// @opentelemetry/instrumentation-openai vs tollgate's instrumentOpenAI. Each variant runs in a
// process of its own (lib/isolated.js), so the contrib instrumentation's require hook patches
// only the process that measures it.
//
// Benchmark 1c: the same client with many calls in flight at once, tollgate on the default
// store (SQLite, durability 'transaction'): the event-loop delay (perf_hooks
// monitorEventLoopDelay) while the calls run, which is what the rest of a service feels.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metrics } from '@opentelemetry/api';
import { fromDist, fromDistFirst } from './lib/dist.js';
import { runIsolated } from './lib/isolated.js';
import { median } from './lib/measure.js';
import { makeBareProvider, makeTollgate, steadyPrune, tempSqlite } from './lib/setup.js';

const require = createRequire(import.meta.url);
const BODY = { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello in five words.' }] };
export const NAMES = {
  none: 'openai, no instrumentation',
  contrib: 'openai + @opentelemetry/instrumentation-openai',
  tollgate: 'openai + tollgate instrumentOpenAI',
  tollgateSqlite: 'openai + tollgate instrumentOpenAI, SQLite store',
};
/** Benchmark 1c: calls in flight at once, and calls per timed batch. */
export const IN_FLIGHT = 32;
export const ELD_CALLS = 512;

/**
 * One variant, set up in the process that measures it: a fake server and a client of the kind
 * named (tollgate: memory store, or the default SQLite store for NAMES.tollgateSqlite). With
 * `inFlight`, one operation is ELD_CALLS calls run `inFlight` at a time, and each batch reports
 * the event-loop delay seen while it ran.
 */
export async function variant(name, { inFlight } = {}) {
  const { startFakeOpenAI } = await fromDistFirst('src/demo/fakes/startFakeOpenAI.js', 'test/fakes/startFakeOpenAI.js');
  const fake = await startFakeOpenAI({ outputTokens: 20 });
  const options = { baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 };
  let client;
  let t;
  let sqlite;
  if (name === NAMES.contrib) {
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation();
    // This version leaves its metric instruments unset until a meter provider is given.
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    instrumentation.setTracerProvider(makeBareProvider());
    instrumentation.enable();
    // The instrumentation patches the CommonJS build of `openai` when it is required.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
  } else {
    // The same CommonJS build as the contrib variant, so that only the instrumentation differs.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
    if (name === NAMES.tollgate || name === NAMES.tollgateSqlite) {
      const { instrumentOpenAI } = await fromDist('instrumentations/openai/index.js');
      if (name === NAMES.tollgateSqlite) sqlite = tempSqlite();
      t = makeTollgate(sqlite !== undefined ? { store: sqlite.store } : {});
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
    await fake.close();
    sqlite?.remove();
  };
  const prune = t !== undefined ? steadyPrune(t.tollgate.ledger) : undefined;
  if (inFlight === undefined) {
    return { fn: () => client.chat.completions.create(BODY), ...(prune !== undefined ? { between: prune } : {}), close };
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 });
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
    fn: many,
    beforeBatch: () => {
      histogram.reset();
      histogram.enable();
    },
    afterBatch: () => {
      histogram.disable();
      return { p50: histogram.percentile(50), p99: histogram.percentile(99), max: histogram.max, mean: histogram.mean };
    },
    ...(prune !== undefined ? { between: prune } : {}),
    close,
  };
}

export async function runOpenAIClient() {
  const names = [NAMES.none, NAMES.contrib, NAMES.tollgate];
  const results = await runIsolated('openaiClient.js', names, { rounds: 41, warmup: 3, batch: 100, baseline: NAMES.contrib });
  return { results };
}

/** Benchmark 1c: per variant, ns per call with IN_FLIGHT calls in flight, and the medians over batches of the event-loop delay percentiles (ns). */
export async function runEventLoopDelay() {
  const names = [NAMES.none, NAMES.contrib, NAMES.tollgateSqlite];
  const results = await runIsolated('openaiClient.js', names, { rounds: 9, warmup: 1, batch: 1, args: { inFlight: IN_FLIGHT }, baseline: NAMES.contrib });
  const out = {};
  for (const [name, r] of Object.entries(results)) {
    const pick = (k) => median(r.batchExtras.map((e) => e[k]));
    out[name] = { nsPerCall: r.medianNs / ELD_CALLS, ratio: r.ratio, p50: pick('p50'), p99: pick('p99'), max: pick('max'), mean: pick('mean') };
  }
  return { results: out };
}
