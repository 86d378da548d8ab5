// Benchmark 2: settlements per second through BudgetSpanProcessor (spans started and ended
// with usage attributes) on the memory, SQLite (temp file) and Redis (127.0.0.1:6379, unique
// key prefix, removed afterwards) stores, against the same spans with a no-op SpanProcessor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { MemoryLedger } from '../dist/src/ledger/memory.js';
import { SqliteLedger } from '../dist/src/ledger/sqlite.js';
import { compare } from './lib/measure.js';
import { makeBareProvider, makeTollgate } from './lib/setup.js';

const ATTRIBUTES = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.request.max_tokens': 256,
  'tollgate.estimate.input_tokens': 12,
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 40,
};

function spans(tracer, n) {
  for (let i = 0; i < n; i++) {
    tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: ATTRIBUTES }).end();
  }
}

async function openRedis(prefix) {
  try {
    const { RedisLedger } = await import('../dist/src/ledger/redis.js');
    const ledger = new RedisLedger({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix, commandTimeoutMs: 5000 });
    await ledger.ping();
    return ledger;
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
}

async function removeRedisKeys(prefix) {
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

export async function runThroughput() {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const prefix = `tollgate-bench:${randomUUID()}:`;
  const stores = [];
  try {
    const bare = makeBareProvider().getTracer('tollgate');
    const memory = makeTollgate({ ledger: new MemoryLedger() });
    const sqlite = makeTollgate({ ledger: new SqliteLedger({ path: join(dir, 'ledger.db') }) });
    stores.push(memory, sqlite);
    const redisLedger = await openRedis(prefix);
    const redis = 'unavailable' in redisLedger ? undefined : makeTollgate({ ledger: redisLedger });
    if (redis !== undefined) stores.push(redis);

    const SYNC_BATCH = 5000;
    const REDIS_BATCH = 1000;
    const prune = (t) => () => void t.tollgate.ledger.prune(Date.now() + 1);
    const variants = [
      { name: 'no-op SpanProcessor (baseline)', per: SYNC_BATCH, fn: () => spans(bare, SYNC_BATCH) },
      { name: 'BudgetSpanProcessor, memory store', per: SYNC_BATCH, fn: () => spans(memory.tracer, SYNC_BATCH), between: prune(memory) },
      { name: 'BudgetSpanProcessor, SQLite store (WAL, synchronous=NORMAL)', per: 1000, fn: () => spans(sqlite.tracer, 1000), between: prune(sqlite) },
    ];
    if (redis !== undefined) {
      variants.push({
        name: 'BudgetSpanProcessor, Redis store',
        per: REDIS_BATCH,
        fn: async () => {
          spans(redis.tracer, REDIS_BATCH);
          await redis.tollgate.spanProcessor.forceFlush();
        },
      });
    }
    const results = await compare(variants.map((v) => ({ ...v, batch: 1 })), { rounds: 9, warmup: 1 });
    for (const v of variants) {
      const r = results[v.name];
      r.nsPerSettlement = r.medianNs / v.per;
      r.perSecond = 1e9 / r.nsPerSettlement;
    }
    // Every span was settled: the processor tracks nothing afterwards.
    const checks = { openSpans: stores.map((s) => s.tollgate.spanProcessor.openSpanCount) };
    if (redis !== undefined) {
      const usage = await redis.tollgate.usage({ by: 'model' });
      checks.redisCalls = usage[0]?.calls ?? 0;
    }
    return { results, checks, redisUnavailable: 'unavailable' in redisLedger ? redisLedger.unavailable : undefined };
  } finally {
    for (const s of stores) await s.shutdown();
    rmSync(dir, { recursive: true, force: true });
    try {
      await removeRedisKeys(prefix);
    } catch {
      // Redis was not there: nothing to clean.
    }
  }
}

/**
 * Benchmark 2b: the same settlements without spans, to show where the time goes: the
 * MemoryLedger alone (reserve + settle in one daily bucket) and the BudgetEngine on top of it
 * (admit + settle), against a loop that builds the same record objects and calls nothing.
 */
export async function runStoreThroughput() {
  const { BudgetEngine } = await import('../dist/src/budget/BudgetEngine.js');
  const N = 20_000;
  const now = Date.now();
  const bucket = [{ key: 'daily|global|bench', budgetId: 'daily', limitNanos: 1e18, enforce: true, expiresAt: now + 86_400_000 }];
  const record = (id) => ({
    id, time: now, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat',
    inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 25_800, status: 'ok',
  });
  const ledger = new MemoryLedger();
  const engineLedger = new MemoryLedger();
  const engine = new BudgetEngine({ ledger: engineLedger, budgets: [{ scope: 'daily', maxUsd: 1e6 }] });
  engine.load();
  let seq = 0;
  const sink = [];
  const variants = [
    { name: 'baseline: build the records, call nothing', fn: () => { for (let i = 0; i < N; i++) sink[i & 1] = record(`b${seq++}`); } },
    {
      name: 'MemoryLedger reserve + settle',
      fn: () => {
        for (let i = 0; i < N; i++) {
          const id = `l${seq++}`;
          ledger.reserve({ id, amountNanos: 200_000, buckets: bucket, now, expiresAt: now + 600_000 });
          ledger.settle(record(id), bucket);
        }
      },
      between: () => void ledger.prune(now + 1),
    },
    {
      name: 'BudgetEngine admit + settle (MemoryLedger)',
      fn: () => {
        for (let i = 0; i < N; i++) {
          const id = `e${seq++}`;
          const admission = engine.admit({ id, provider: 'openai', model: 'gpt-4o-mini', estimateNanos: () => 200_000 });
          engine.settle(admission, record(id));
        }
      },
      between: () => void engineLedger.prune(now + 1),
    },
  ];
  const results = await compare(variants.map((v) => ({ ...v, batch: 1 })), { rounds: 9, warmup: 1 });
  for (const v of variants) {
    const r = results[v.name];
    r.nsPerSettlement = r.medianNs / N;
    r.perSecond = 1e9 / r.nsPerSettlement;
  }
  return { results };
}
