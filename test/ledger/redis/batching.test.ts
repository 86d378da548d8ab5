/**
 * The Redis ledger decides the calls of one batch (one reserveMany and one settleMany script call
 * per pipeline) exactly as it would decide them one at a time: checked against the MemoryLedger
 * (the reference) on random workloads, and on the cases batching could get wrong (caps filled by
 * the batch itself, refused reservations, repeated ids, exact sums, windows, expiry in the batch).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';
import type { Bucket, BucketState, ReserveRequest, ReserveResult } from '../../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../../src/ledger/memory.js';
import { RedisLedger } from '../../../src/ledger/redis.js';
import type { RedisLedgerOptions } from '../../../src/ledger/redis.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../../helpers/redisServer.js';

const redis = await mainRedisStatus();
const prefixes: string[] = [];
const ledgers: RedisLedger[] = [];

afterAll(async () => {
  for (const l of ledgers) await l.close();
  if (redis.up) for (const prefix of prefixes) await deleteKeysWithPrefix(MAIN_REDIS_URL, prefix);
});

function newLedger(label: string, options: Partial<RedisLedgerOptions> = {}): RedisLedger {
  const keyPrefix = uniqueKeyPrefix(label);
  prefixes.push(keyPrefix);
  const ledger = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix, maxBatch: 100_000, ...options });
  ledgers.push(ledger);
  return ledger;
}

const T0 = Date.UTC(2026, 2, 10, 12);
const DAY = 86_400_000;
const MIDNIGHT = Date.UTC(2026, 2, 11);

function record(id: string, costNanos: number, time = T0, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id,
    time,
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 10,
    outputTokens: 20,
    cacheReadTokens: 1,
    cacheWriteTokens: 2,
    reasoningTokens: 3,
    costNanos,
    status: 'ok',
    ...extra,
  };
}

const reserve = (id: string, amountNanos: number, buckets: readonly Bucket[], now = T0, expiresAt = now + 60_000): ReserveRequest => ({ id, amountNanos, buckets, now, expiresAt });

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.skipIf(!redis.run)('RedisLedger batches', () => {
  it('admits exactly the reservations that fit when one batch fills the cap', async () => {
    const ledger = newLedger('fill');
    const cap: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + DAY };
    await ledger.settle(record('before', 300), [cap]);
    // 700 left: 23 reservations of 30 fit (690), the 24th does not, nor any after it.
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => ledger.reserve(reserve(`r${i}`, 30, [cap]))));
    expect(results.filter((r) => r.ok)).toHaveLength(23);
    expect(results.slice(0, 23).every((r) => r.ok)).toBe(true);
    const refused = results[23] as Extract<ReserveResult, { ok: false }>;
    expect(refused.failed).toEqual({ key: cap.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 300, reservedNanos: 690 });
    // Each admitted reservation answers with the state after it, the refused ones with the state before.
    expect((results[22] as ReserveResult).states[0]?.reservedNanos).toBe(690);
    expect((await ledger.bucketStates([cap], T0))[0]).toMatchObject({ spentNanos: 300, reservedNanos: 690 });
  });

  it('admits the same reservations in small batches as in one (maxBatch)', async () => {
    const ledger = newLedger('small', { maxBatch: 7 });
    const cap: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 1_000, enforce: true };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => ledger.reserve(reserve(`r${i}`, 45, [cap]))));
    expect(results.map((r) => r.ok)).toEqual(Array.from({ length: 60 }, (_, i) => i < 22));
    expect((await ledger.bucketStates([cap], T0))[0]?.reservedNanos).toBe(22 * 45);
  });

  it('lets a refused reservation change nothing, for itself or for the others in its batch', async () => {
    const ledger = newLedger('mixed');
    const tight: Bucket = { key: 'task|t1|all', budgetId: 'task', limitNanos: 100, enforce: true };
    const roomy: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true, expiresAt: T0 + DAY };
    const other: Bucket = { key: 'session|s1|all', budgetId: 'session', limitNanos: 1_000, enforce: true };
    const warn: Bucket = { key: 'warn|global|all', budgetId: 'warn', limitNanos: 1, enforce: false };
    const results = await Promise.all([
      ledger.reserve(reserve('a', 60, [roomy, tight])),
      ledger.reserve(reserve('b', 50, [roomy, tight, warn])), // 60 + 50 > 100 in tight: refused, nothing held anywhere
      ledger.reserve(reserve('c', 40, [roomy, other, warn])),
      ledger.reserve(reserve('d', 40, [tight])), // 60 + 40 = 100 fits
      ledger.reserve(reserve('e', 2_000, [other, roomy])), // refused in other (the first bucket listed)
      ledger.reserve(reserve('f', 10, [warn, roomy])), // warn buckets never refuse
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, false, true]);
    expect((results[1] as Extract<ReserveResult, { ok: false }>).failed).toMatchObject({ key: tight.key, reservedNanos: 60 });
    expect(results[1]?.states.map((s) => s.reservedNanos)).toEqual([60, 60, 0]);
    expect((results[4] as Extract<ReserveResult, { ok: false }>).failed).toMatchObject({ key: other.key, reservedNanos: 40 });
    const states = await ledger.bucketStates([tight, roomy, other, warn], T0);
    expect(states.map((s) => s.reservedNanos)).toEqual([100, 110, 40, 50]);
    // The refused ids hold nothing: releasing them changes nothing, settling them releases nothing.
    await ledger.release('b');
    await ledger.settle(record('e', 0), [other]);
    expect((await ledger.bucketStates([tight, roomy, other, warn], T0)).map((s) => s.reservedNanos)).toEqual([100, 110, 40, 50]);
  });

  it('replaces a reservation made again with the same id, in one batch and across batches', async () => {
    const ledger = newLedger('same-id');
    const b: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 100, enforce: true };
    const first = await Promise.all([ledger.reserve(reserve('x', 70, [b])), ledger.reserve(reserve('x', 90, [b])), ledger.reserve(reserve('y', 20, [b]))]);
    // x's second reservation replaces its first (90 fits once 70 is dropped); y does not fit beside 90.
    expect(first.map((r) => r.ok)).toEqual([true, true, false]);
    expect((await ledger.bucketStates([b], T0))[0]?.reservedNanos).toBe(90);
    // Across batches: the reservation in Redis is replaced when its id comes in the batch, not before.
    const second = await Promise.all([ledger.reserve(reserve('y', 15, [b])), ledger.reserve(reserve('x', 80, [b])), ledger.reserve(reserve('z', 15, [b]))]);
    expect(second.map((r) => r.ok)).toEqual([false, true, true]);
    expect((await ledger.bucketStates([b], T0))[0]?.reservedNanos).toBe(95);
    await Promise.all([ledger.settle(record('x', 5), [b]), ledger.settle(record('z', 5), [b])]);
    expect((await ledger.bucketStates([b], T0))[0]).toMatchObject({ spentNanos: 10, reservedNanos: 0 });
  });

  it('counts an id settled twice in one batch, and again in a later batch, once', async () => {
    const ledger = newLedger('twice');
    const b: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true, expiresAt: T0 + DAY };
    await ledger.reserve(reserve('s', 500, [b]));
    const replies = await Promise.all([ledger.settle(record('s', 123), [b]), ledger.settle(record('s', 123), [b]), ledger.settle(record('t', 7), [b])]);
    await Promise.all([ledger.settle(record('s', 123), [b]), ledger.settle(record('t', 7), [b])]);
    expect((await ledger.bucketStates([b], T0))[0]).toMatchObject({ spentNanos: 130, reservedNanos: 0 });
    // Every settlement of the batch answers with the bucket's state after the batch.
    for (const states of replies) expect(states[0]).toMatchObject({ spentNanos: 130, reservedNanos: 0 });
    expect(await ledger.usage({ by: 'day' })).toEqual([
      { key: '2026-03-10', calls: 2, errors: 0, inputTokens: 20, outputTokens: 40, cacheReadTokens: 2, cacheWriteTokens: 4, reasoningTokens: 6, costNanos: 130 },
    ]);
    expect((await ledger.records({})).map((r) => r.id).sort()).toEqual(['s', 't']);
  });

  it('keeps the order of a reservation and a release or settlement of the same id made in one turn', async () => {
    const ledger = newLedger('order');
    const b: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 100, enforce: true };
    const [r1] = await Promise.all([ledger.reserve(reserve('p', 60, [b])), ledger.release('p')]);
    expect(r1.ok).toBe(true);
    expect((await ledger.bucketStates([b], T0))[0]?.reservedNanos).toBe(0);
    const [r2, settled] = await Promise.all([ledger.reserve(reserve('q', 60, [b])), ledger.settle(record('q', 25), [b])]);
    expect(r2.ok).toBe(true);
    expect(settled[0]).toMatchObject({ spentNanos: 25, reservedNanos: 0 });
  });

  it('sums a batch of settlements per bucket and per day rollup exactly as one at a time', async () => {
    const batched = newLedger('sum-batch');
    const single = newLedger('sum-single');
    const daily: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 9_000_000_000_000_000, enforce: true, expiresAt: T0 + DAY };
    const total: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 9_000_000_000_000_000, enforce: false };
    const next = random(7);
    const records: { r: UsageRecord; buckets: Bucket[] }[] = [];
    for (let i = 0; i < 400; i++) {
      // Costs up to 2^44 each: the sums pass 2^52 and stay exact integers.
      const cost = i % 3 === 0 ? 0 : Math.floor(next() * 2 ** 44) + 1;
      // Within four minutes around midnight (one batch script call holds them all): two UTC days.
      const time = MIDNIGHT - 120_000 + Math.floor(next() * 240_000);
      const extra: Partial<UsageRecord> = {
        task: `task-${i % 5}`,
        status: i % 7 === 0 ? 'error' : 'ok',
        inputTokens: Math.floor(next() * 10_000),
        outputTokens: Math.floor(next() * 10_000),
        model: i % 2 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
      };
      records.push({ r: record(`c${i}`, cost, time, extra), buckets: i % 4 === 0 ? [total] : [daily, total] });
    }
    await Promise.all(records.map(({ r, buckets }) => batched.settle(r, buckets)));
    for (const { r, buckets } of records) await single.settle(r, buckets);
    const expected = records.reduce((sum, { r, buckets }) => sum + (buckets.includes(daily) ? r.costNanos : 0), 0);
    expect(Number.isSafeInteger(expected)).toBe(true);
    expect((await batched.bucketStates([daily], T0))[0]?.spentNanos).toBe(expected);
    expect(await batched.bucketStates([daily, total], T0)).toEqual(await single.bucketStates([daily, total], T0));
    for (const by of ['day', 'model', 'task', 'status'] as const) expect(await batched.usage({ by })).toEqual(await single.usage({ by }));
    expect((await batched.usage({ by: 'day' })).map((g) => g.key)).toEqual(['2026-03-10', '2026-03-11']);
    // Partial days come from the records: the stream holds every one.
    expect(await batched.usage({ by: 'day', since: MIDNIGHT - 60_000 })).toEqual(await single.usage({ by: 'day', since: MIDNIGHT - 60_000 }));
  });

  it('decides a batch of random reservations, settlements and releases as the MemoryLedger does one at a time', async () => {
    const ledger = newLedger('random');
    const memory = new MemoryLedger();
    const buckets: Bucket[] = [
      { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 5_000, enforce: true, expiresAt: T0 + DAY },
      { key: 'task|a|all', budgetId: 'task', limitNanos: 1_500, enforce: true },
      { key: 'task|b|all', budgetId: 'task', limitNanos: 2_000, enforce: true },
      { key: 'warn|global|all', budgetId: 'warn', limitNanos: 1_000, enforce: false },
    ];
    const next = random(42);
    const pick = (): Bucket[] => buckets.filter(() => next() < 0.5);
    let live: string[] = [];
    for (let round = 0; round < 12; round++) {
      // A turn's reservations: decided in order, against the sums of the turn so far.
      const reqs: ReserveRequest[] = [];
      for (let i = 0; i < 40; i++) {
        const listed = pick();
        const id = next() < 0.1 && live.length > 0 ? (live[Math.floor(next() * live.length)] as string) : `r${round}-${i}`;
        // Some expire within the batch: a later reservation of the batch no longer counts them.
        const now = T0 + round * 1_000 + i;
        reqs.push(reserve(id, 1 + Math.floor(next() * 400), listed.length > 0 ? listed : [buckets[0] as Bucket], now, next() < 0.1 ? now + 5 : now + 60_000));
      }
      const got = await Promise.all(reqs.map((r) => ledger.reserve(r)));
      const want = reqs.map((r) => memory.reserve(r) as ReserveResult);
      expect(got).toEqual(want);
      reqs.forEach((r, i) => {
        if (got[i]?.ok === true) live.push(r.id);
      });
      // A turn's settlements and releases of some of the live ones (some settled twice).
      const ending = live.filter(() => next() < 0.5);
      const again = ending.filter(() => next() < 0.2);
      const now = T0 + round * 1_000 + 500;
      const ops = [...ending, ...again].map((id, i) => (i % 5 === 4 ? { id, release: true } : { id, release: false, cost: Math.floor(next() * 300), list: pick() }));
      await Promise.all(ops.map((o) => (o.release ? ledger.release(o.id) : ledger.settle(record(o.id, o.cost ?? 0, now), o.list ?? []))));
      for (const o of ops) {
        if (o.release) await memory.release(o.id);
        else await memory.settle(record(o.id, o.cost ?? 0, now), o.list ?? []);
      }
      live = live.filter((id) => !ending.includes(id));
      const at = T0 + round * 1_000 + 900;
      expect(await ledger.bucketStates(buckets, at)).toEqual(await memory.bucketStates(buckets, at));
    }
    expect(await ledger.usage({ by: 'day' })).toEqual(await memory.usage({ by: 'day' }));
  });

  it('counts rolling windows of a batch with different record times as one at a time', async () => {
    const batched = newLedger('rolling-batch');
    const single = newLedger('rolling-single');
    const hour: Bucket = { key: 'hourly|global|rolling', budgetId: 'hourly', limitNanos: 1_000_000, enforce: true, rollingMs: 3_600_000 };
    const times = Array.from({ length: 50 }, (_, i) => T0 + i * 97_000);
    await Promise.all(times.map((t, i) => batched.settle(record(`h${i}`, 1_000 + i, t), [hour])));
    for (const [i, t] of times.entries()) await single.settle(record(`h${i}`, 1_000 + i, t), [hour]);
    for (const at of [T0, T0 + 1_800_000, T0 + 3_600_000, T0 + 5_000_000, T0 + 9_000_000]) {
      expect(await batched.bucketStates([hour], at)).toEqual(await single.bucketStates([hour], at));
    }
    // A reservation batch checks each reservation at its own time.
    const reqs = times.slice(0, 10).map((t, i) => reserve(`q${i}`, 990_000, [hour], t + 3_600_000 * 2));
    const got = await Promise.all(reqs.map((r) => batched.reserve(r)));
    const want: ReserveResult[] = [];
    for (const r of reqs) want.push(await single.reserve(r));
    expect(got).toEqual(want);
  });

  it('answers with the states of a bucket named twice in a reservation, and holds it once', async () => {
    const ledger = newLedger('twice-named');
    const b: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 100, enforce: true };
    const [r] = await Promise.all([ledger.reserve(reserve('d', 30, [b, b])), ledger.reserve(reserve('e', 30, [b]))]);
    expect(r.states.map((s: BucketState) => s.reservedNanos)).toEqual([30, 30]);
    expect((await ledger.bucketStates([b], T0))[0]?.reservedNanos).toBe(60);
    await ledger.settle(record('d', 10), [b, b]);
    expect((await ledger.bucketStates([b], T0))[0]).toMatchObject({ spentNanos: 10, reservedNanos: 30 });
  });

  it('releases a reservation settled or released by another ledger on the same store (read back from Redis)', async () => {
    const a = newLedger('two');
    const b = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix: a.keyPrefix });
    ledgers.push(b);
    const daily: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + DAY };
    const task: Bucket = { key: 'task|t|all', budgetId: 'task', limitNanos: 1_000, enforce: true };
    await Promise.all([a.reserve(reserve('m', 100, [daily, task])), a.reserve(reserve('n', 200, [daily]))]);
    // b settles m with fewer buckets than it reserved in: the reservation is still released from both.
    await Promise.all([b.settle(record('m', 40), [daily]), b.release('n')]);
    expect(await a.bucketStates([daily, task], T0)).toEqual([
      { key: daily.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 40, reservedNanos: 0 },
      { key: task.key, budgetId: 'task', limitNanos: 1_000, spentNanos: 0, reservedNanos: 0 },
    ]);
    // a settles m again, knowing its reservation: counted once, nothing released twice.
    await a.settle(record('m', 40), [daily, task]);
    expect((await a.bucketStates([daily, task], T0)).map((x) => [x.spentNanos, x.reservedNanos])).toEqual([
      [40, 0],
      [0, 0],
    ]);
  });

  it('finds reservations by id whatever the characters of the prefix and the ids', async () => {
    const a = newLedger('prefix-é-✓');
    const b = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix: a.keyPrefix });
    ledgers.push(b);
    const bucket: Bucket = { key: 'total|ü|all', budgetId: 'total', limitNanos: 1_000, enforce: true };
    const ids = ['call-ü', 'call-✓-🙂', 'call:with:colons'];
    const results = await Promise.all(ids.map((id) => a.reserve(reserve(id, 100, [bucket]))));
    expect(results.every((r) => r.ok)).toBe(true);
    // Released by the ledger that reserved (knowing the reservation), by another (reading it back), and released.
    await Promise.all([a.settle(record(ids[0] as string, 10), [bucket]), b.settle(record(ids[1] as string, 20), [bucket]), b.release(ids[2] as string)]);
    expect((await a.bucketStates([bucket], T0))[0]).toMatchObject({ spentNanos: 30, reservedNanos: 0 });
    // A reservation made again under one of these ids replaces the one in Redis.
    await a.reserve(reserve('call-✓-🙂-2', 100, [bucket]));
    await b.reserve(reserve('call-✓-🙂-2', 300, [bucket]));
    expect((await a.bucketStates([bucket], T0))[0]).toMatchObject({ reservedNanos: 300 });
  });
});
