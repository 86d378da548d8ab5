import { afterAll, describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/ledger/Ledger.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { RedisLedger, RedisUnavailableError } from '../../src/ledger/redis.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { runLedgerContract } from './ledgerContract.js';

const redis = await mainRedisStatus();
const prefixes: string[] = [];

afterAll(async () => {
  if (redis.up) for (const prefix of prefixes) await deleteKeysWithPrefix(MAIN_REDIS_URL, prefix);
});

function newLedger(label: string): RedisLedger {
  const keyPrefix = uniqueKeyPrefix(label);
  prefixes.push(keyPrefix);
  return new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix });
}

describe('Redis at 127.0.0.1:6379', () => {
  it.skipIf(!redis.run)('answers (required in CI)', () => {
    expect(redis.up, `no Redis answers at ${MAIN_REDIS_URL}; .ci/run starts one`).toBe(true);
  });
  if (!redis.run) it.skip(redis.skipReason, () => undefined);
});

describe.skipIf(!redis.run)('RedisLedger', () => {
  runLedgerContract('RedisLedger', async () => {
    const keyPrefix = uniqueKeyPrefix('contract');
    const ledger = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix });
    return {
      ledger,
      cleanup: async () => {
        await ledger.close();
        await deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix);
      },
    };
  });

  const T0 = Date.UTC(2026, 2, 10);
  const record = (id: string, costNanos: number, time = T0): UsageRecord => ({
    id,
    time,
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 1,
    outputTokens: 1,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos,
    status: 'ok',
  });

  describe('exact integer money', () => {
    it('sums many small settlements to the exact integer', async () => {
      const ledger = newLedger('exact');
      const b: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 10_000_000_000, enforce: true };
      const costs = [
        ...Array.from({ length: 1_000 }, () => 1),
        ...Array.from({ length: 300 }, () => 333_333_333),
        ...Array.from({ length: 7 }, (_, i) => 100_000_000 + i),
      ];
      await Promise.all(costs.map((c, i) => ledger.settle(record(`s${i}`, c), [b])));
      const expected = 1_000 + 300 * 333_333_333 + 7 * 100_000_000 + 21;
      expect(expected).toBe(100_700_000_921);
      expect((await ledger.bucketStates([b], T0))[0]?.spentNanos).toBe(expected);
      expect((await ledger.usage({ by: 'model' }))[0]?.costNanos).toBe(expected);
      await ledger.close();
    });

    it('keeps amounts above Lua’s 14-digit default number format exact', async () => {
      const ledger = newLedger('big');
      const big = 9_007_199_254_740_000; // near 2^53 nanos (~ $9M)
      const b: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: big + 991, enforce: true };
      await ledger.settle(record('a', 123_456_789_012_345), [b]);
      await ledger.settle(record('b', 1), [b]);
      const states = await ledger.bucketStates([b], T0);
      expect(states[0]?.spentNanos).toBe(123_456_789_012_346);
      const reserve = await ledger.reserve({ id: 'r', amountNanos: big - 123_456_789_012_346 + 991, buckets: [b], now: T0, expiresAt: T0 + 1_000 });
      expect(reserve).toEqual({
        ok: true,
        states: [{ key: b.key, budgetId: 'total', limitNanos: big + 991, spentNanos: 123_456_789_012_346, reservedNanos: big - 123_456_789_012_346 + 991 }],
      });
      const over = await ledger.reserve({ id: 'r2', amountNanos: 1, buckets: [b], now: T0, expiresAt: T0 + 1_000 });
      expect(over.ok).toBe(false);
      await ledger.close();
    });
  });

  describe('replicas and the stream cap', () => {
    it('settles an id once when several replicas settle it at the same time', async () => {
      const a = newLedger('dup');
      const b = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix: a.keyPrefix });
      const bucket: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 1_000_000, enforce: true };
      await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).settle(record('same', 777), [bucket])));
      expect((await b.bucketStates([bucket], T0))[0]?.spentNanos).toBe(777);
      expect((await a.records({})).length).toBe(1);
      await a.close();
      await b.close();
    });

    it('keeps usage exact when the capped stream has dropped old records', async () => {
      const keyPrefix = uniqueKeyPrefix('cap');
      prefixes.push(keyPrefix);
      const ledger = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix, streamMaxLen: 10 });
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => ledger.settle(record(`c${i}`, 3, T0 + i), [])));
      expect((await ledger.records({ limit: 10_000 })).length).toBeLessThan(1_000);
      expect(await ledger.usage({ by: 'day' })).toEqual([
        { key: '2026-03-10', calls: 1_000, errors: 0, inputTokens: 1_000, outputTokens: 1_000, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 3_000 },
      ]);
      expect(await ledger.usage({ by: 'model', until: T0 + 86_400_000 })).toEqual([
        { key: 'gpt-4o', calls: 1_000, errors: 0, inputTokens: 1_000, outputTokens: 1_000, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 3_000 },
      ]);
      await ledger.close();
    });
  });

  describe('reading the record stream in pages', () => {
    it('lists, aggregates and prunes more records than one page holds', async () => {
      const ledger = newLedger('paging');
      const n = 2_345;
      await Promise.all(Array.from({ length: n }, (_, i) => ledger.settle(record(`p${i}`, i, T0 + 10 * i), [])));
      const all = await ledger.records({ limit: 10_000 });
      expect(all.length).toBe(n);
      expect(all[0]?.id).toBe(`p${n - 1}`);
      expect(all[n - 1]?.id).toBe('p0');
      // since is not at 00:00, so the (partial) day is summed from the records themselves.
      const since = T0 + 10 * 1_000;
      const expectedCost = Array.from({ length: n - 1_000 }, (_, k) => 1_000 + k).reduce((a, b) => a + b, 0);
      expect(await ledger.usage({ by: 'day', since })).toEqual([
        { key: '2026-03-10', calls: n - 1_000, errors: 0, inputTokens: n - 1_000, outputTokens: n - 1_000, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: expectedCost },
      ]);
      expect(await ledger.prune(since)).toBe(1_000);
      expect((await ledger.records({ limit: 10_000 })).length).toBe(n - 1_000);
      await ledger.close();
    });
  });

  describe('rolling windows of a day (1-minute slots)', () => {
    it('never forgets spend early and forgets it at most one slot late', async () => {
      const ledger = newLedger('rolling');
      const DAY = 86_400_000;
      const b: Bucket = { key: 'daily|global|rolling', budgetId: 'daily', limitNanos: 1_000, enforce: true, rollingMs: DAY };
      const t = T0 + 12_345; // inside the slot [T0, T0 + 60 000)
      await ledger.settle(record('a', 700, t), [b]);
      const spent = async (now: number): Promise<number | undefined> => (await ledger.bucketStates([b], now))[0]?.spentNanos;
      expect(await spent(t - 1)).toBe(700); // same slot: counted from the slot's start
      expect(await spent(t + DAY - 1)).toBe(700);
      expect(await spent(t + DAY)).toBe(700); // an exact window would drop it here; the slot keeps it
      // The slot counts as if all its spend were settled at its last millisecond.
      const slotEnd = T0 + 59_999;
      expect(await spent(slotEnd + DAY - 1)).toBe(700);
      expect(await spent(slotEnd + DAY)).toBe(0);
      await ledger.close();
    });
  });

  describe('configuration', () => {
    it('names the field and the fix for a bad url', () => {
      expect(() => new RedisLedger({ url: 'localhost:6379' })).toThrow(/options\.url must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(() => new RedisLedger({})).toThrow(/options\.url/);
    });

    it('rejects non-positive numeric options', () => {
      expect(() => new RedisLedger({ url: MAIN_REDIS_URL, commandTimeoutMs: 0 })).toThrow(/options\.commandTimeoutMs must be a positive integer/);
      expect(() => new RedisLedger({ url: MAIN_REDIS_URL, streamMaxLen: -1 })).toThrow(/options\.streamMaxLen/);
      expect(() => new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix: '' })).toThrow(/options\.keyPrefix/);
    });

    it('rejects a fractional amount without counting it as a Redis error', async () => {
      const ledger = newLedger('config');
      const b: Bucket = { key: 'k', budgetId: 'k', limitNanos: 10, enforce: true };
      await expect(ledger.reserve({ id: 'r', amountNanos: 1.5, buckets: [b], now: T0, expiresAt: T0 + 1 })).rejects.toThrow(RangeError);
      expect(ledger.errors).toBe(0);
      await ledger.close();
    });

    it('uses an existing ioredis client and leaves it open on close', async () => {
      const { Redis } = await import('ioredis');
      const client = new Redis(MAIN_REDIS_URL);
      const keyPrefix = uniqueKeyPrefix('client');
      prefixes.push(keyPrefix);
      const ledger = new RedisLedger({ client, keyPrefix });
      await ledger.putBudget({ id: 'b', spec: { scope: 'daily', maxUsd: 1 } });
      await ledger.close();
      expect(await client.hget(`${keyPrefix}budgets`, 'b')).toBe('{"scope":"daily","maxUsd":1}');
      await expect(ledger.ping()).rejects.toThrow(/closed/);
      expect(ledger.errors).toBe(0);
      client.disconnect();
    });

    it('fails fast with RedisUnavailableError when nothing listens', async () => {
      const ledger = new RedisLedger({ url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 200 });
      const err = await Promise.resolve(ledger.ping()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect((err as RedisUnavailableError).code).toBe('LEDGER_UNAVAILABLE');
      expect(ledger.errors).toBe(1);
      await ledger.close();
    });
  });
});
