// The local Redis (127.0.0.1:6379) the Redis variants use: whether it answers, and removing
// the keys a run wrote under its unique prefix.
import { randomUUID } from 'node:crypto';
import { fromDist } from './dist.js';

/** undefined when a RedisLedger can reach 127.0.0.1:6379; otherwise why not. */
export async function redisUnavailable() {
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

/** Deletes every key under `prefix`; resolves to how many. */
export async function redisKeysRemoved(prefix) {
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
