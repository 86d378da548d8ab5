// Benchmark 2: calls per second end to end through tollgate.llm (the call driver: span,
// admission and reservation against a daily deny budget, the call, pricing, settlement, sinks)
// on the memory, SQLite (temp file; durability 'transaction', the default, and 'batched') and
// Redis (127.0.0.1:6379, unique key prefix, removed afterwards) stores, one call after another;
// each batch ends when its settlements are in the store (tollgate.forceFlush). Each variant runs
// in a process of its own (lib/isolated.js). The baseline is one bare OTel span per call with
// the same attributes (no-op processor), as in benchmark 1a.
//
// Benchmark 2b: the MemoryLedger alone, reserve + settle, without spans or pricing.
import { randomUUID } from 'node:crypto';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { fromDist } from './lib/dist.js';
import { runIsolated } from './lib/isolated.js';
import { median } from './lib/measure.js';
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
  sqliteBatched: 'tollgate.llm, SQLite store (durability "batched")',
  redis: 'tollgate.llm, Redis store',
  ledger: 'MemoryLedger reserve + settle',
};

const wrapped = (call) => {
  call.setUsage(USAGE);
  return 1;
};

async function redisKeysRemoved(prefix) {
  const { default: Redis } = await import('ioredis');
  const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await client.del(...keys);
  } while (cursor !== '0');
  await client.quit();
  return removed;
}

/** A tollgate on the store a variant names, and what to do after it is closed. */
async function storeFor(name, redisPrefix) {
  if (name === NAMES.memory) return { options: {}, remove: () => undefined };
  if (name === NAMES.sqlite || name === NAMES.sqliteBatched) {
    const sqlite = tempSqlite();
    return { options: { store: sqlite.store, sqlite: { durability: name === NAMES.sqlite ? 'transaction' : 'batched' } }, remove: sqlite.remove };
  }
  const { RedisLedger } = await fromDist('src/ledger/redis.js');
  const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, commandTimeoutMs: 5000 });
  await ledger.ping();
  return { options: { ledger }, remove: () => undefined };
}

/** One variant, set up in the process that measures it. One operation is one call. */
export async function variant(name, { redisPrefix }) {
  if (name === NAMES.ledger) return ledgerVariant();
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

async function redisUnavailable() {
  try {
    const { RedisLedger } = await fromDist('src/ledger/redis.js');
    const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: `tollgate-bench-probe:${randomUUID()}:`, commandTimeoutMs: 2000 });
    await ledger.ping();
    await ledger.close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function runThroughput() {
  const redisPrefix = `tollgate-bench:${randomUUID()}:`;
  const unavailable = await redisUnavailable();
  const names = [NAMES.span, NAMES.memory, NAMES.sqlite, NAMES.sqliteBatched];
  if (unavailable === undefined) names.push(NAMES.redis);
  const batches = { [NAMES.span]: BATCH.memory, [NAMES.memory]: BATCH.memory, [NAMES.sqlite]: BATCH.sqlite, [NAMES.sqliteBatched]: BATCH.sqlite, [NAMES.redis]: BATCH.redis };
  try {
    const results = await runIsolated('throughput.js', names, { rounds: 15, warmup: 2, batches, args: { redisPrefix }, baseline: NAMES.span });
    return { results, redisUnavailable: unavailable };
  } finally {
    if (unavailable === undefined) await redisKeysRemoved(redisPrefix).catch(() => 0);
  }
}

const LEDGER_BATCH = 20_000;

/** Benchmark 2b: MemoryLedger reserve + settle in one daily bucket, each settlement awaited. */
export async function runLedgerThroughput() {
  const results = await runIsolated('throughput.js', [NAMES.ledger], { rounds: 9, warmup: 1, batch: 1 });
  const ns = median(results[NAMES.ledger].samples) / LEDGER_BATCH;
  return { nsPerSettlement: ns, perSecond: 1e9 / ns };
}

async function ledgerVariant() {
  const { MemoryLedger } = await fromDist('src/ledger/memory.js');
  const bucket = [{ key: 'daily|global|bench', budgetId: 'daily', limitNanos: 1e18, enforce: true, expiresAt: Date.now() + 86_400_000 }];
  const record = (id, time) => ({
    id, time, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat',
    inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 25_800, status: 'ok',
  });
  let seq = 0;
  // Call ids as the driver passes them: span ids, 16 lowercase hex digits.
  const spanId = () => (seq++).toString(16).padStart(16, '0');
  const ledger = new MemoryLedger();
  return {
    fn: async () => {
      const time = Date.now();
      for (let i = 0; i < LEDGER_BATCH; i++) {
        const id = spanId();
        ledger.reserve({ id, amountNanos: 200_000, buckets: bucket, now: time, expiresAt: time + 600_000 });
        await ledger.settle(record(id, time), bucket);
      }
    },
    between: steadyPrune(ledger),
  };
}
