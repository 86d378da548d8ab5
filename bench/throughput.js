// Benchmark 2: calls per second end to end through tollgate.llm (the call driver: span,
// admission and reservation against a daily deny budget, the call, pricing, settlement, sinks)
// on the memory, SQLite (temp file, default durability) and
// Redis (127.0.0.1:6379, unique key prefix, removed afterwards) stores, one call after another;
// each batch ends when its settlements are in the store (tollgate.forceFlush). Each variant runs
// in a process of its own (lib/isolated.js). The baseline is one bare OTel span per call with
// the same attributes (no-op processor), as in benchmark 1a.
//
// Benchmark 2b: each store alone (memory, SQLite, Redis), reserve + settle with many calls in
// flight, without spans or pricing: one process's settlements per second.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import { fromDist } from './lib/dist.js';
import { runIsolated } from './lib/isolated.js';
import { median } from './lib/measure.js';
import { redisKeysRemoved, redisUnavailable } from './lib/redis.js';
import { BENCH_BUDGETS, makeBareProvider, makeTollgate, steadyPrune, tempSqlite } from './lib/setup.js';

const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
const ATTRIBUTES = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.request.max_tokens': 256,
  'tollgate.estimate.input_tokens': 12,
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 40,
};
/** Calls per timed batch. */
export const BATCH = { memory: 4000, sqlite: 300, redis: 300 };

export const NAMES = {
  span: 'bare OTel span per call (no tollgate)',
  memory: 'tollgate.llm, memory store',
  sqlite: 'tollgate.llm, SQLite store (default: WAL, durability "transaction")',
  redis: 'tollgate.llm, Redis store',
  ledgerMemory: 'MemoryLedger',
  ledgerSqlite: 'SqliteLedger (default durability)',
  ledgerSqliteHistory: 'SqliteLedger (default durability), 1,000,000 records stored',
  ledgerRedis: 'RedisLedger (127.0.0.1:6379)',
};
/**
 * Records the 2b history variant's file holds before it is timed: what a service settling one
 * call every 2.6 s keeps over the default retention (30 days), or 10 calls a second for 28 hours.
 */
export const HISTORY_RECORDS = 1_000_000;
/** Benchmark 2b: reservations and settlements in flight at once. */
export const LEDGER_IN_FLIGHT = 256;

const wrapped = (call) => {
  call.setUsage(USAGE);
  return 1;
};

/** A tollgate on the store a variant names, and what to do after it is closed. */
async function storeFor(name, redisPrefix) {
  if (name === NAMES.memory) return { options: {}, remove: () => undefined };
  if (name === NAMES.sqlite) {
    const sqlite = tempSqlite();
    return { options: { store: sqlite.store }, remove: sqlite.remove };
  }
  const { RedisLedger } = await fromDist('src/ledger/redis.js');
  const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, commandTimeoutMs: 5000 });
  await ledger.ping();
  return { options: { ledger }, remove: () => undefined };
}

/** One variant, set up in the process that measures it. One operation is one call. */
export async function variant(name, { redisPrefix }) {
  if ([NAMES.ledgerMemory, NAMES.ledgerSqlite, NAMES.ledgerSqliteHistory, NAMES.ledgerRedis].includes(name)) return ledgerVariant(name, redisPrefix);
  if (name === NAMES.span) {
    const tracer = makeBareProvider().getTracer('bench');
    return {
      fn: async () => {
        const parent = context.active();
        const span = tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: ATTRIBUTES }, parent);
        const result = await context.with(trace.setSpan(parent, span), () => 1);
        span.end();
        return result;
      },
    };
  }
  const store = await storeFor(name, redisPrefix);
  const t = makeTollgate({ ...store.options, budgets: BENCH_BUDGETS });
  await t.tollgate.ready;
  return {
    fn: () => t.tollgate.llm(OPTIONS, wrapped),
    // Timed: the batch ends when its settlements are in the store (queued SQLite settlements flushed).
    endBatch: () => t.tollgate.forceFlush(),
    between: steadyPrune(t.tollgate.ledger),
    report: async () => {
      await t.tollgate.forceFlush();
      return { openSpans: t.tollgate.spanProcessor.openSpanCount, calls: (await t.tollgate.usage({ by: 'model' })).reduce((n, g) => n + g.calls, 0) };
    },
    close: async () => {
      await t.shutdown();
      store.remove();
    },
  };
}

export async function runThroughput() {
  const redisPrefix = `tollgate-bench:${randomUUID()}:`;
  const unavailable = await redisUnavailable();
  const names = [NAMES.span, NAMES.memory, NAMES.sqlite];
  if (unavailable === undefined) names.push(NAMES.redis);
  const batches = { [NAMES.span]: BATCH.memory, [NAMES.memory]: BATCH.memory, [NAMES.sqlite]: BATCH.sqlite, [NAMES.redis]: BATCH.redis };
  try {
    const results = await runIsolated('throughput.js', names, { rounds: 15, warmup: 2, batches, args: { redisPrefix }, baseline: NAMES.span });
    return { results, redisUnavailable: unavailable };
  } finally {
    if (unavailable === undefined) await redisKeysRemoved(redisPrefix).catch(() => 0);
  }
}

export const LEDGER_BATCH = 20_000;
export const LEDGER_ROUNDS = 7;

/**
 * Benchmark 2b: one process's settlements per second on each store alone (no spans, no pricing):
 * LEDGER_IN_FLIGHT calls at a time, each a reserve then a settle (both awaited) in one daily
 * deny bucket; a batch is LEDGER_BATCH calls.
 */
export async function runLedgerThroughput() {
  const redisPrefix = `tollgate-bench-ledger:${randomUUID()}:`;
  const unavailable = await redisUnavailable();
  const names = [NAMES.ledgerMemory, NAMES.ledgerSqlite, NAMES.ledgerSqliteHistory];
  if (unavailable === undefined) names.push(NAMES.ledgerRedis);
  try {
    const results = await runIsolated('throughput.js', names, { rounds: LEDGER_ROUNDS, warmup: 1, batch: 1, args: { redisPrefix } });
    const out = {};
    for (const name of names) {
      const samples = results[name].samples;
      const ns = median(samples) / LEDGER_BATCH;
      out[name] = { nsPerSettlement: ns, perSecond: 1e9 / ns, slowest: LEDGER_BATCH * 1e9 / Math.max(...samples), fastest: LEDGER_BATCH * 1e9 / Math.min(...samples) };
    }
    return { results: out, redisUnavailable: unavailable };
  } finally {
    if (unavailable === undefined) await redisKeysRemoved(redisPrefix).catch(() => 0);
  }
}

async function ledgerOf(name, redisPrefix) {
  if (name === NAMES.ledgerMemory) {
    const { MemoryLedger } = await fromDist('src/ledger/memory.js');
    return { ledger: new MemoryLedger(), remove: () => undefined };
  }
  if (name === NAMES.ledgerSqlite || name === NAMES.ledgerSqliteHistory) {
    const { SqliteLedger } = await fromDist('src/ledger/sqlite.js');
    const sqlite = tempSqlite();
    const path = sqlite.store.slice('sqlite:'.length);
    const ledger = new SqliteLedger({ path });
    if (name === NAMES.ledgerSqliteHistory) storeHistory(path, HISTORY_RECORDS);
    return { ledger, remove: sqlite.remove };
  }
  const { RedisLedger } = await fromDist('src/ledger/redis.js');
  return { ledger: new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, commandTimeoutMs: 5000 }), remove: () => undefined };
}

/**
 * Writes `count` records into the SQLite ledger file at `path`, as settlements over the last 30
 * days would have (random span ids, times in order), in one transaction of its own connection.
 */
function storeHistory(path, count) {
  const db = new Database(path);
  try {
    const start = Date.now() - 30 * 86_400_000;
    const step = (30 * 86_400_000) / count;
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
       INSERT INTO records (id, time, provider, model, operation, input_tokens, output_tokens, cache_read_tokens,
         cache_write_tokens, reasoning_tokens, cost_nanos, status)
       SELECT lower(hex(randomblob(8))), CAST(? + i * ? AS INTEGER), 'openai', 'gpt-4o-mini', 'chat', 12, 40, 0, 0, 0, 25800, 'ok' FROM n`,
    ).run(count, start, step);
  } finally {
    db.close();
  }
}

async function ledgerVariant(name, redisPrefix) {
  const { ledger, remove } = await ledgerOf(name, redisPrefix);
  const bucket = [{ key: 'daily|global|bench', budgetId: 'daily', limitNanos: 1e15, enforce: true, expiresAt: Date.now() + 86_400_000 }];
  const record = (id, time) => ({
    id, time, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat',
    inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 25_800, status: 'ok',
  });
  // Call ids as the driver passes them: span ids from the OTel SDK's generator (16 random hex
  // digits; crypto.randomBytes would cost 7 µs an id here, more than a settlement).
  const ids = new RandomIdGenerator();
  const spanId = () => ids.generateSpanId();
  const one = async () => {
    const id = spanId();
    const time = Date.now();
    const reserved = await ledger.reserve({ id, amountNanos: 200_000, buckets: bucket, now: time, expiresAt: time + 600_000 });
    if (!reserved.ok) throw new Error('the bench bucket refused a reservation');
    await ledger.settle(record(id, time), bucket);
  };
  return {
    fn: async () => {
      let started = 0;
      const worker = async () => {
        while (started < LEDGER_BATCH) {
          started++;
          await one();
        }
      };
      await Promise.all(Array.from({ length: LEDGER_IN_FLIGHT }, worker));
    },
    // The history variant keeps what it stored (a batch adds 2 % to it); the others stay at a steady size.
    between: name === NAMES.ledgerSqliteHistory ? undefined : steadyPrune(ledger),
    close: async () => {
      await ledger.close();
      await remove();
    },
  };
}
