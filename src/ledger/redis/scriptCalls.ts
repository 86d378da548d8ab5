import type { UsageRecord } from '../../core/UsageRecord.js';
import { utcDayStart } from '../../time/utcWindows.js';
import type { Bucket, ReserveRequest } from '../Ledger.js';
import { dimensionsOf } from '../usageDimensions.js';
import { rollupField } from './dayRollup.js';
import { encodeRecord } from './recordCodec.js';
import type { RedisKeys } from './redisKeys.js';
import { rollingSlotMs } from './rollingSlotMs.js';

/** The KEYS and ARGV of one script call. */
export interface ScriptCall {
  keys: string[];
  args: (string | number)[];
}

/** KEYS and ARGV of the reserve script (see reserveScript.ts). */
export function reserveCall(k: RedisKeys, req: ReserveRequest): ScriptCall {
  const keys: string[] = [];
  const args: (string | number)[] = [req.id, req.amountNanos, req.now, req.expiresAt, req.buckets.length];
  for (const b of req.buckets) {
    keys.push(k.bucket(b.key), k.reservations(b.key), k.reservedTotal(b.key));
    const rolling = b.rollingMs ?? 0;
    args.push(b.limitNanos, b.enforce ? '1' : '0', rolling, rolling > 0 ? rollingSlotMs(rolling) : 1, b.expiresAt ?? 0);
  }
  keys.push(k.reservation(req.id));
  return { keys, args };
}

/** KEYS and ARGV of the settle script (see settleScript.ts); `distinct` holds each bucket once. */
export function settleCall(k: RedisKeys, record: UsageRecord, distinct: readonly Bucket[], settledTtlMs: number, streamMaxLen: number): ScriptCall {
  const dims = dimensionsOf(record);
  const keys: string[] = [];
  for (const b of distinct) keys.push(k.bucket(b.key), k.reservations(b.key), k.reservedTotal(b.key));
  keys.push(k.reservation(record.id), k.settled(record.id), k.records, k.day(dims.day), k.days);
  const args: (string | number)[] = [
    record.id,
    String(record.costNanos),
    record.time,
    settledTtlMs,
    streamMaxLen,
    encodeRecord(record),
    utcDayStart(record.time),
    dims.day,
    rollupField(dims),
    record.status === 'error' ? 1 : 0,
    tokens(record.inputTokens),
    tokens(record.outputTokens),
    tokens(record.cacheReadTokens),
    tokens(record.cacheWriteTokens),
    tokens(record.reasoningTokens),
    distinct.length,
  ];
  for (const b of distinct) {
    const rolling = b.rollingMs ?? 0;
    const slotMs = rolling > 0 ? rollingSlotMs(rolling) : 1;
    args.push(rolling, slotMs, Math.floor(record.time / slotMs), b.expiresAt ?? 0);
  }
  return { keys, args };
}

/** Token counts as the rollup script expects them: finite integers. */
function tokens(n: number): number {
  return Number.isFinite(n) ? Math.round(n) : 0;
}
