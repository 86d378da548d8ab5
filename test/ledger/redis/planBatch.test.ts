/**
 * How the writes of one turn become script calls: settlements and releases in one settleMany call,
 * then reservations in one reserveMany call, split only where the order or a window matters.
 */
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../../../src/ledger/Ledger.js';
import { BATCH_SPAN_MS } from '../../../src/ledger/redis/batchSpan.js';
import type { BatchItem } from '../../../src/ledger/redis/planBatch.js';
import { planBatch } from '../../../src/ledger/redis/planBatch.js';
import { redisKeys } from '../../../src/ledger/redis/redisKeys.js';
import { RedisScript } from '../../../src/ledger/redis/RedisScript.js';

const T0 = Date.UTC(2026, 2, 10, 12);
const daily: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + 43_200_000 };
const rolling: Bucket = { key: 'hourly|global|rolling', budgetId: 'hourly', limitNanos: 1_000, enforce: true, rollingMs: 3_600_000 };
const settings = { keys: redisKeys('p:'), settledTtlMs: 1_000, streamMaxLen: 100 };

const reserve = (id: string, buckets: readonly Bucket[] = [daily], now = T0): { item: BatchItem } => ({
  item: { kind: 'reserve', req: { id, amountNanos: 10, buckets, now, expiresAt: now + 60_000 } as ReserveRequest },
});
const settle = (id: string, buckets: readonly Bucket[] = [daily], time = T0): { item: BatchItem } => ({
  item: {
    kind: 'settle',
    record: { id, time, provider: 'p', model: 'm', operation: 'chat', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 5, status: 'ok' } as UsageRecord,
    buckets,
    reservation: undefined,
  },
});
const release = (id: string): { item: BatchItem } => ({ item: { kind: 'release', id } });

/** Each call's op and its members' ids, in order. */
function shape(queue: { item: BatchItem }[]): string[] {
  return planBatch(queue, settings).map((c) => `${c.op}:${c.members.map((m) => idOf(m.item)).join(',')}`);
}

function idOf(item: BatchItem): string {
  if (item.kind === 'reserve') return item.req.id;
  if (item.kind === 'settle') return item.record.id;
  if (item.kind === 'release') return item.id;
  return item.op;
}

describe('planBatch', () => {
  it('puts every settlement and release of a turn in one call, then every reservation in one', () => {
    expect(shape([reserve('a'), settle('x'), reserve('b'), release('y'), settle('z'), reserve('c')])).toEqual(['settle:x,z,y', 'reserve:a,b,c']);
  });

  it('answers a settleMany call in the order its script answers: settlements, then releases', () => {
    const [call] = planBatch([release('y'), settle('x'), settle('z')], settings);
    expect(call?.sizes).toEqual([3, 3, 1]);
    expect(call?.members.map((m) => idOf(m.item))).toEqual(['x', 'z', 'y']);
  });

  it('splits where a settlement or release would run before the reservation of the same id made earlier', () => {
    expect(shape([reserve('a'), reserve('b'), settle('a'), reserve('c'), release('c'), settle('d')])).toEqual([
      'reserve:a,b',
      'settle:a',
      'reserve:c',
      'settle:d,c',
    ]);
  });

  it('runs another script alone, in its place', () => {
    const lease = new RedisScript('lease', 'return 1');
    const other: { item: BatchItem } = { item: { kind: 'script', op: 'lease', script: lease, keys: ['k'], args: [1] } };
    expect(shape([reserve('a'), other, reserve('b')])).toEqual(['reserve:a', 'lease:lease', 'reserve:b']);
  });

  it('splits where a bucket comes again with another window, or a call is too far in time from the first', () => {
    const otherWindow: Bucket = { ...rolling, rollingMs: 60_000 };
    expect(shape([reserve('a', [rolling]), reserve('b', [otherWindow]), reserve('c', [daily])])).toEqual(['reserve:a', 'reserve:b,c']);
    const laterDay: Bucket = { ...daily, expiresAt: (daily.expiresAt as number) + 1 };
    expect(shape([settle('a'), settle('b', [laterDay])])).toEqual(['settle:a', 'settle:b']);
    expect(shape([reserve('a'), reserve('b', [daily], T0 + BATCH_SPAN_MS), reserve('c', [daily], T0 - BATCH_SPAN_MS - 1)])).toEqual(['reserve:a,b', 'reserve:c']);
    expect(shape([settle('a'), settle('b', [daily], T0 + BATCH_SPAN_MS + 1)])).toEqual(['settle:a', 'settle:b']);
  });

  it('names each bucket once in a call, and a list of buckets passed again once', () => {
    const both = [daily, rolling];
    const [call] = planBatch([reserve('a', both), reserve('b', both), reserve('c', [rolling, daily])], settings);
    // KEYS: 3 per bucket, then the reservation records hash, the store epoch and the meta hash.
    expect(call?.keys).toEqual(['p:b:daily|global|2026-03-10', 'p:r:daily|global|2026-03-10', 'p:rt:daily|global|2026-03-10', 'p:b:hourly|global|rolling', 'p:r:hourly|global|rolling', 'p:rt:hourly|global|rolling', 'p:rvs', 'p:epoch', 'p:meta']);
    // ARGV[4]: the lists (n, then bucket number, limit, enforce per bucket): `both` once, the other order once.
    expect(JSON.parse(call?.args[3] as string)).toEqual([2, 1, 1_000, 1, 2, 1_000, 1, 2, 2, 1_000, 1, 1, 1_000, 1]);
    // ARGV[5]: per reservation amount, now, expiresAt, list position; then the ids.
    expect(JSON.parse(call?.args[4] as string)).toEqual(['10', T0, String(T0 + 60_000), 1, '10', T0, String(T0 + 60_000), 1, '10', T0, String(T0 + 60_000), 8]);
    expect(call?.args.slice(5)).toEqual(['a', 'b', 'c']);
  });
});
