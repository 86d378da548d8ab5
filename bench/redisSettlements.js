// Redis store throughput of one process: reserve + settle pairs per second through the
// RedisLedger alone (no spans, no pricing), against the MemoryLedger in the same run.
//   node bench/redisSettlements.js [redisUrl] [seconds]
// Two shapes: `inFlight` calls kept in flight at once (a busy service: each finished call starts
// the next, so the reservations and settlements of one event-loop turn share a pipeline), and
// one call after another (every call waits for its own round trip). Every call reserves in one
// daily deny bucket that never fills and settles its whole reservation. Keys live under a unique
// prefix and are removed afterwards. Build first (npm run build).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromDist } from './lib/dist.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379/0';
const seconds = Number(process.argv[3] ?? 5);
const { RedisLedger } = await fromDist('src/ledger/redis.js');
const { MemoryLedger } = await fromDist('src/ledger/memory.js');

const day = new Date().toISOString().slice(0, 10);
const bucket = { key: `bench|global|${day}`, budgetId: 'bench', limitNanos: Number.MAX_SAFE_INTEGER, enforce: true, expiresAt: Date.now() + 86_400_000 };

async function pair(ledger, i) {
  const id = `c${i}-${randomUUID()}`;
  const now = Date.now();
  const r = await ledger.reserve({ id, amountNanos: 1000, buckets: [bucket], now, expiresAt: now + 600_000 });
  if (!r.ok) throw new Error('the bench bucket filled up');
  await ledger.settle({ id, time: now, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat', inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 1000, status: 'ok' }, [bucket]);
}

/** Pairs per second with `inFlight` calls running at once for `seconds`. */
async function measure(ledger, inFlight) {
  let done = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await pair(ledger, next++);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const prefix = `tollgate-bench-redis:${randomUUID()}:`;
const journalDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-journal-'));
const redis = new RedisLedger({ url, keyPrefix: prefix, journalDir, streamMaxLen: 10_000 });
const memory = new MemoryLedger();
const rows = [];
try {
  await redis.ping();
  for (const inFlight of [1, 256]) {
    await measure(redis, inFlight); // warm-up
    const r = await measure(redis, inFlight);
    const m = await measure(memory, inFlight);
    rows.push({ inFlight, redisPerSecond: Math.round(r), memoryPerSecond: Math.round(m), ratio: Number((r / m).toFixed(3)) });
  }
  process.stdout.write(`${JSON.stringify({ url: url.replace(/\/\/[^@/]*@/, '//***@'), seconds, node: process.version, rows }, null, 2)}\n`);
} finally {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
  await redis.close();
  rmSync(journalDir, { recursive: true, force: true });
}
