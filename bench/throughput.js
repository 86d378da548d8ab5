// Benchmark 2: settlements through BudgetSpanProcessor (spans started with request
// attributes and ended with usage attributes) on the memory, SQLite (temp file) and Redis
// (127.0.0.1:6379, unique key prefix, removed afterwards) stores. Baselines, each in a process
// of its own like every variant (lib/isolated.js): the same spans with a no-op SpanProcessor,
// and the same spans also given every attribute the processor adds (decision, reservation,
// cost...), so that what the processor itself costs per settlement can be read off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { MemoryLedger } from '../dist/src/ledger/memory.js';
import { SqliteLedger } from '../dist/src/ledger/sqlite.js';
import { runIsolated } from './lib/isolated.js';
import { median } from './lib/measure.js';
import { makeBareProvider, makeTollgate, steadyPrune } from './lib/setup.js';

const ATTRIBUTES = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.request.max_tokens': 256,
  'tollgate.estimate.input_tokens': 12,
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 40,
};
/** Spans per timed batch (one settlement each). */
export const BATCH = { memory: 5000, sqlite: 500, redis: 500 };

export const NAMES = {
  noop: 'no-op SpanProcessor',
  noopAttrs: 'no-op SpanProcessor, the processor\'s attributes set too',
  memory: 'BudgetSpanProcessor, memory store',
  sqlite: 'BudgetSpanProcessor, SQLite store (WAL, synchronous=NORMAL)',
  sqliteBatched: 'BudgetSpanProcessor, SQLite store (durability "batched")',
  redis: 'BudgetSpanProcessor, Redis store',
};

function spans(tracer, n, extra) {
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: ATTRIBUTES });
    if (extra !== undefined) span.setAttributes(extra);
    span.end();
  }
}

/** The attributes BudgetSpanProcessor adds to such a span (read off one settled span). */
async function processorAttributes() {
  let ended;
  const capture = { onStart() {}, onEnd(span) { ended = span; }, forceFlush: async () => {}, shutdown: async () => {} };
  const t = makeTollgate({ ledger: new MemoryLedger() }, [capture]);
  spans(t.tracer, 1);
  await t.shutdown();
  const added = {};
  for (const [k, v] of Object.entries(ended.attributes)) if (!(k in ATTRIBUTES)) added[k] = v;
  return added;
}

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

/** One variant, set up in the process that measures it. `fn` runs one batch of spans. */
export async function variant(name, { added, redisPrefix }) {
  if (Object.values(STORE_NAMES).includes(name)) return storeVariant(name);
  if (name === NAMES.noop || name === NAMES.noopAttrs) {
    const tracer = makeBareProvider().getTracer('tollgate');
    const extra = name === NAMES.noopAttrs ? added : undefined;
    return { fn: () => spans(tracer, BATCH.memory, extra), sync: true };
  }
  if (name === NAMES.memory) {
    const t = makeTollgate({ ledger: new MemoryLedger() });
    return {
      fn: () => spans(t.tracer, BATCH.memory),
      sync: true,
      between: steadyPrune(t.tollgate.ledger),
      report: () => ({ openSpans: t.tollgate.spanProcessor.openSpanCount }),
      close: () => t.shutdown(),
    };
  }
  if (name === NAMES.sqlite || name === NAMES.sqliteBatched) {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
    const ledger = new SqliteLedger({ path: join(dir, 'ledger.db'), ...(name === NAMES.sqliteBatched ? { durability: 'batched' } : {}) });
    const t = makeTollgate({ ledger });
    return {
      fn: async () => {
        spans(t.tracer, BATCH.sqlite);
        await t.tollgate.spanProcessor.forceFlush();
        await ledger.flush?.();
      },
      between: steadyPrune(t.tollgate.ledger),
      report: async () => ({ openSpans: t.tollgate.spanProcessor.openSpanCount, calls: (await t.tollgate.usage({ by: 'model' }))[0]?.calls ?? 0 }),
      close: async () => {
        await t.shutdown();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { RedisLedger } = await import('../dist/src/ledger/redis.js');
  const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, commandTimeoutMs: 5000 });
  await ledger.ping();
  const t = makeTollgate({ ledger });
  return {
    fn: async () => {
      spans(t.tracer, BATCH.redis);
      await t.tollgate.spanProcessor.forceFlush();
    },
    report: async () => ({ openSpans: t.tollgate.spanProcessor.openSpanCount, calls: (await t.tollgate.usage({ by: 'model' }))[0]?.calls ?? 0 }),
    close: () => t.shutdown(),
  };
}

async function redisUnavailable() {
  try {
    const { RedisLedger } = await import('../dist/src/ledger/redis.js');
    const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: `tollgate-bench-probe:${randomUUID()}:`, commandTimeoutMs: 2000 });
    await ledger.ping();
    await ledger.close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function runThroughput() {
  const added = await processorAttributes();
  const redisPrefix = `tollgate-bench:${randomUUID()}:`;
  const unavailable = await redisUnavailable();
  const names = [NAMES.noop, NAMES.noopAttrs, NAMES.memory, NAMES.sqlite, NAMES.sqliteBatched];
  if (unavailable === undefined) names.push(NAMES.redis);
  // Every variant's batch is timed per span; the batch sizes differ (SQLite and Redis are slower).
  const batches = { [NAMES.sqlite]: 1, [NAMES.sqliteBatched]: 1, [NAMES.redis]: 1 };
  try {
    const results = await runIsolated('throughput.js', names, { rounds: 15, warmup: 2, batch: 1, batches, args: { added, redisPrefix } });
    const spansOf = (name) => (name === NAMES.sqlite || name === NAMES.sqliteBatched ? BATCH.sqlite : name === NAMES.redis ? BATCH.redis : BATCH.memory);
    const out = {};
    const ownNs = {};
    const base = results[NAMES.noopAttrs].samples.map((ns) => ns / BATCH.memory);
    for (const name of names) {
      const perSpan = results[name].samples.map((ns) => ns / spansOf(name));
      out[name] = { nsPerSpan: median(perSpan), extra: results[name].extra };
      // The processor's own cost per settlement: minus the attribute-matched baseline of the same round.
      ownNs[name] = median(perSpan.map((ns, i) => ns - (base[i] ?? 0)));
    }
    return { results: out, samples: { ownNs }, addedAttributes: Object.keys(added).length, redisUnavailable: unavailable };
  } finally {
    if (unavailable === undefined) await redisKeysRemoved(redisPrefix).catch(() => 0);
  }
}

/**
 * Benchmark 2b: the same settlements without spans, to show where the time goes: the
 * MemoryLedger alone (reserve + settle in one daily bucket) and the BudgetEngine on top of it
 * (admit + settle), against a loop that builds the same record objects and calls nothing.
 */
export async function runStoreThroughput() {
  const results = await runIsolated('throughput.js', Object.values(STORE_NAMES), { rounds: 9, warmup: 1, batch: 1 });
  const out = {};
  for (const [name, r] of Object.entries(results)) out[name] = { nsPerSettlement: r.medianNs / STORE_BATCH, perSecond: (1e9 * STORE_BATCH) / r.medianNs };
  return { results: out };
}

const STORE_BATCH = 20_000;
export const STORE_NAMES = {
  baseline: 'baseline: build the same records, call nothing',
  ledger: 'MemoryLedger reserve + settle',
  engine: 'BudgetEngine admit + settle (MemoryLedger)',
};

async function storeVariant(name) {
  const { BudgetEngine } = await import('../dist/src/budget/BudgetEngine.js');
  const bucket = [{ key: 'daily|global|bench', budgetId: 'daily', limitNanos: 1e18, enforce: true, expiresAt: Date.now() + 86_400_000 }];
  const record = (id, time) => ({
    id, time, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat',
    inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 25_800, status: 'ok',
  });
  let seq = 0;
  // Call ids as the processor passes them: span ids, 16 lowercase hex digits.
  const spanId = () => (seq++).toString(16).padStart(16, '0');
  if (name === STORE_NAMES.baseline) {
    const sink = [];
    return { sync: true, fn: () => { const time = Date.now(); for (let i = 0; i < STORE_BATCH; i++) sink[i & 1] = record(spanId(), time); } };
  }
  const ledger = new MemoryLedger();
  if (name === STORE_NAMES.ledger) {
    return {
      sync: true,
      fn: () => {
        const time = Date.now();
        for (let i = 0; i < STORE_BATCH; i++) {
          const id = spanId();
          ledger.reserve({ id, amountNanos: 200_000, buckets: bucket, now: time, expiresAt: time + 600_000 });
          ledger.settle(record(id, time), bucket);
        }
      },
      between: steadyPrune(ledger),
    };
  }
  const engine = new BudgetEngine({ ledger, budgets: [{ scope: 'daily', maxUsd: 1e6 }] });
  engine.load();
  const estimateNanos = () => 200_000;
  return {
    sync: true,
    fn: () => {
      const time = Date.now();
      for (let i = 0; i < STORE_BATCH; i++) {
        const id = spanId();
        const admission = engine.admit({ id, provider: 'openai', model: 'gpt-4o-mini', estimateNanos });
        engine.settle(admission, record(id, time));
      }
    },
    between: steadyPrune(ledger),
  };
}
