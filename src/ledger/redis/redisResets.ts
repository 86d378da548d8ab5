import type { Redis } from 'ioredis';
import type { ResetRecord } from '../Ledger.js';
import type { Timed } from './RedisConnection.js';
import type { RedisKeys } from './redisKeys.js';

/** Resets kept in the log (`LTRIM`); older ones are dropped. */
const MAX_RESETS = 1_000;
/** Keys per SCAN page and per DEL when every bucket is reset. */
const SCAN_PAGE = 1_000;

/**
 * `Ledger.resetBuckets` on Redis. Named buckets: one MULTI deletes their spend hashes (calendar
 * counters and rolling slots; reservations live in other keys and stay) and logs the reset.
 * Every bucket: the spend hashes under `<prefix>b:` are scanned and deleted page by page, then
 * the reset is logged (a settlement landing during the scan may survive it).
 */
export async function resetRedisBuckets(
  client: Redis,
  timed: Timed,
  keys: RedisKeys,
  prefix: string,
  reset: ResetRecord,
  bucketKeys: readonly string[] | undefined,
): Promise<void> {
  const entry = JSON.stringify({ target: reset.target, actor: reset.actor, time: reset.time });
  if (bucketKeys !== undefined) {
    const multi = client.multi();
    if (bucketKeys.length > 0) multi.del(...bucketKeys.map((k) => keys.bucket(k)));
    multi.lpush(keys.resets, entry).ltrim(keys.resets, 0, MAX_RESETS - 1);
    const replies = (await timed(multi.exec())) ?? [];
    for (const [err] of replies) if (err) throw err;
    return;
  }
  const match = `${escapeGlob(prefix)}b:*`;
  let cursor = '0';
  do {
    const [next, found] = await timed(client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_PAGE));
    if (found.length > 0) await timed(client.del(...found));
    cursor = next;
  } while (cursor !== '0');
  await timed(client.multi().lpush(keys.resets, entry).ltrim(keys.resets, 0, MAX_RESETS - 1).exec());
}

/** The reset log, newest first. */
export async function readRedisResets(client: Redis, timed: Timed, keys: RedisKeys, limit: number): Promise<ResetRecord[]> {
  if (limit <= 0) return [];
  const entries = await timed(client.lrange(keys.resets, 0, limit - 1));
  const out: ResetRecord[] = [];
  for (const json of entries) {
    const r = JSON.parse(json) as Partial<ResetRecord>;
    if (typeof r.target === 'string' && typeof r.actor === 'string' && typeof r.time === 'number') out.push({ target: r.target, actor: r.actor, time: r.time });
  }
  return out;
}

/** The prefix as a literal SCAN MATCH pattern (`*`, `?`, `[`, `]` and `\` escaped). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
