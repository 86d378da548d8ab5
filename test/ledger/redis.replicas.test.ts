/**
 * Several replicas (separate Node processes) sharing one Redis ledger: the budget holds
 * for all of them together, and a replica that dies holding a reservation does not
 * block the budget past the reservation's expiresAt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/ledger/Ledger.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { buildDist, startFixture } from './redis-fixtures/fixtureProcess.js';

const redis = await mainRedisStatus();
const ONE_USD = 1_000_000_000;

describe.skipIf(!redis.run)(`RedisLedger shared by replicas ${redis.skipReason}`, () => {
  const keyPrefix = uniqueKeyPrefix('replicas');
  let ledger: RedisLedger;

  beforeAll(async () => {
    await buildDist();
    ledger = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix });
  }, 90_000);

  afterAll(async () => {
    await ledger?.close();
    await deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix);
  });

  it('4 processes × 250 concurrent admissions never settle more than $1.00 in total', async () => {
    const bucketKey = 'deny-1usd|global|2026-11-23';
    const seedBase = Date.now() >>> 0;
    const replicas = [0, 1, 2, 3].map((i) =>
      startFixture('admitter.mjs', [MAIN_REDIS_URL, keyPrefix, bucketKey, ONE_USD, 250, seedBase + i, `replica${i}`]),
    );
    for (const r of replicas) expect(await r.nextLine()).toBe('ready');
    for (const r of replicas) r.child.stdin.write('go\n');
    const results = await Promise.all(
      replicas.map(async (r) => {
        const line = await r.nextLine();
        expect(await r.exited).toBe(0);
        return JSON.parse(line) as {
          allowed: number;
          denied: number;
          released: number;
          settledNanos: number;
          settles: number;
          unjustifiedDenials: number;
        };
      }),
    );

    const sum = (f: (x: (typeof results)[number]) => number): number => results.reduce((a, x) => a + f(x), 0);
    const bucket: Bucket = { key: bucketKey, budgetId: 'deny-1usd', limitNanos: ONE_USD, enforce: true };
    const [state] = await ledger.bucketStates([bucket], Date.now());

    expect(sum((x) => x.allowed) + sum((x) => x.denied), `seed base ${seedBase}`).toBe(1_000);
    expect(state?.spentNanos).toBe(sum((x) => x.settledNanos));
    expect(state?.spentNanos).toBeLessThanOrEqual(ONE_USD);
    expect(state?.reservedNanos).toBe(0);
    // The budget was the limiting factor (some calls were denied), and every denial was
    // justified by the state the ledger reported with it.
    expect(sum((x) => x.denied)).toBeGreaterThan(0);
    expect(sum((x) => x.unjustifiedDenials)).toBe(0);
    const usage = await ledger.usage({ by: 'model' });
    expect(usage).toEqual([
      expect.objectContaining({ key: 'gpt-4o', calls: sum((x) => x.settles), costNanos: sum((x) => x.settledNanos) }),
    ]);
  }, 30_000);

  it('a reservation held by a replica that crashed stops counting at its expiresAt', async () => {
    const bucketKey = 'deny|global|crash';
    const now = Date.UTC(2026, 10, 23, 12);
    const expiresAt = now + 60_000;
    const replica = startFixture('reserveThenHang.mjs', [MAIN_REDIS_URL, keyPrefix, bucketKey, 1_000, 1_000, now, expiresAt]);
    expect(JSON.parse(await replica.nextLine())).toMatchObject({ ok: true });
    replica.child.kill('SIGKILL');
    expect(await replica.exited).toBe('SIGKILL');

    const bucket: Bucket = { key: bucketKey, budgetId: 'deny', limitNanos: 1_000, enforce: true };
    const blocked = await ledger.reserve({ id: 'next-1', amountNanos: 1, buckets: [bucket], now: expiresAt - 1, expiresAt: expiresAt + 60_000 });
    expect(blocked).toEqual({
      ok: false,
      failed: { key: bucketKey, budgetId: 'deny', limitNanos: 1_000, spentNanos: 0, reservedNanos: 1_000 },
      states: [{ key: bucketKey, budgetId: 'deny', limitNanos: 1_000, spentNanos: 0, reservedNanos: 1_000 }],
    });
    const admitted = await ledger.reserve({ id: 'next-2', amountNanos: 1_000, buckets: [bucket], now: expiresAt, expiresAt: expiresAt + 60_000 });
    expect(admitted).toEqual({
      ok: true,
      states: [{ key: bucketKey, budgetId: 'deny', limitNanos: 1_000, spentNanos: 0, reservedNanos: 1_000 }],
    });
  });
});
