/**
 * The Redis ledger's key layout (see keyLayout.ts): reservation records in one hash, settled ids in
 * one hash per time slot, the layout written at the start of the store epoch, and data of the
 * earlier layout refused with an error that says what to do.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bucket, ReserveRequest } from '../../../src/ledger/Ledger.js';
import { RedisLedger } from '../../../src/ledger/redis.js';
import type { RedisLedgerOptions } from '../../../src/ledger/redis.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../../helpers/redisServer.js';
import { usageRecord } from '../../helpers/usageRecord.js';

const redis = await mainRedisStatus();
const prefixes: string[] = [];
const ledgers: RedisLedger[] = [];
const client = redis.up ? new Redis(MAIN_REDIS_URL) : undefined;

afterAll(async () => {
  for (const l of ledgers) await l.close();
  if (redis.up) for (const prefix of prefixes) await deleteKeysWithPrefix(MAIN_REDIS_URL, prefix);
  client?.disconnect();
});

function newLedger(label: string, options: Partial<RedisLedgerOptions> = {}): RedisLedger {
  const keyPrefix = uniqueKeyPrefix(label);
  prefixes.push(keyPrefix);
  const journalDir = mkdtempSync(join(tmpdir(), 'tollgate-layout-journal-'));
  const ledger = new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix, journalDir, ...options });
  ledgers.push(ledger);
  return ledger;
}

const T0 = Date.UTC(2026, 2, 10, 12);
const bucket: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 1_000_000, enforce: true };
const reserve = (id: string, amountNanos: number): ReserveRequest => ({ id, amountNanos, buckets: [bucket], now: T0, expiresAt: T0 + 60_000 });
const settle = (ledger: RedisLedger, id: string, costNanos: number) => ledger.settle(usageRecord({ id, time: T0, costNanos }), [bucket]);
const spent = async (ledger: RedisLedger) => (await ledger.bucketStates([bucket], T0))[0]?.spentNanos;

/** Redis' clock in ms (the settled ids' slots follow it). */
async function serverMs(): Promise<number> {
  const [s = 0, us = 0] = (await (client as Redis).time()).map(Number);
  return s * 1000 + Math.floor(us / 1000);
}

/** Resolves once Redis' clock is in a slot of `slotMs` after `slot` (polls Redis' TIME). */
async function slotAfter(slot: number, slotMs: number): Promise<number> {
  for (;;) {
    const now = Math.floor((await serverMs()) / slotMs);
    if (now > slot) return now;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.skipIf(!redis.run)(`Redis ledger key layout ${redis.skipReason}`, () => {
  it('writes a new store in layout 2: the epoch names it, one hash holds the reservation records', async () => {
    const ledger = newLedger('layout2');
    expect((await ledger.reserve(reserve('a', 100))).ok).toBe(true);
    const c = client as Redis;
    expect(await c.get(`${ledger.keyPrefix}epoch`)).toMatch(/^layout2\//);
    expect(await c.hkeys(`${ledger.keyPrefix}rvs`)).toEqual(['a']);
    expect(await c.exists(`${ledger.keyPrefix}rv:a`)).toBe(0);
    await settle(ledger, 'a', 40);
    expect(await c.hlen(`${ledger.keyPrefix}rvs`)).toBe(0);
  });

  it('refuses data written in layout 1, says what to do, and writes nothing', async () => {
    const ledger = newLedger('layout1');
    const c = client as Redis;
    // What an earlier tollgate left: an epoch without a layout, a reservation record key per id.
    await c.set(`${ledger.keyPrefix}epoch`, '2026-03-10T12:00:00.000Z/5f0c9d0e-1111-4222-8333-444455556666');
    await c.hset(`${ledger.keyPrefix}rv:old`, 'amt', '100', 'exp', String(T0 + 60_000), 'keys', '[]');
    const refused = ledger.reserve(reserve('b', 100));
    await expect(refused).rejects.toThrow(/TOLLGATE_KEY_LAYOUT .*earlier tollgate \(key layout 1.*new keyPrefix/);
    await expect(ledger.release('old')).rejects.toThrow(/TOLLGATE_KEY_LAYOUT/);
    expect(await c.exists(`${ledger.keyPrefix}rvs`, `${ledger.keyPrefix}r:${bucket.key}`, `${ledger.keyPrefix}rt:${bucket.key}`)).toBe(0);
    expect(await c.exists(`${ledger.keyPrefix}rv:old`)).toBe(1);
  });

  it('ignores a settlement repeated in the next slot of settledTtlMs, and counts it again two slots later', async () => {
    const slotMs = 1_000;
    const ledger = newLedger('slots', { settledTtlMs: slotMs });
    const c = client as Redis;
    const before = Math.floor((await serverMs()) / slotMs);
    await settle(ledger, 's', 7);
    expect(await spent(ledger)).toBe(7);
    // The slot the id was settled in: the one whose hash holds it.
    let first = before;
    while (first < before + 10 && (await c.hexists(`${ledger.keyPrefix}sd:${first}`, 's')) === 0) first++;
    await slotAfter(first, slotMs);
    await settle(ledger, 's', 7);
    expect(await spent(ledger)).toBe(7);
    // Two slots later (at least settledTtlMs after it was settled) the id is forgotten.
    await slotAfter(first + 1, slotMs);
    await settle(ledger, 's', 7);
    expect(await spent(ledger)).toBe(14);
    // The slot it was settled in is no longer read, and was unlinked.
    expect(await c.exists(`${ledger.keyPrefix}sd:${first}`)).toBe(0);
  });

  it('sweeps the record of a reservation never settled nor released once its keep time passed, and only that one', async () => {
    const ledger = newLedger('sweep');
    const c = client as Redis;
    const records = `${ledger.keyPrefix}rvs`;
    // A record a process that died left behind, kept until long ago (the script writes keep = expiresAt + 1 day).
    await c.hset(records, 'dead', `100|${(await serverMs()) - 1}|[]`);
    expect((await ledger.reserve(reserve('live', 100))).ok).toBe(true);
    expect((await c.hkeys(records)).sort()).toEqual(['live']);
  });
});
