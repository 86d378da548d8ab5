/**
 * Leases on a real redis-server (a throwaway one on a random port, killed by PID and restarted
 * with AOF): the lease is reserved in Redis so other processes see it taken, a process gives its
 * own lease back when a call needs the room, calls are admitted from the lease while Redis is
 * away, and when it is back the journal is replayed before the spent lease is given back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Problems } from '../../../src/core/Problems.js';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../../../src/ledger/Ledger.js';
import { RedisLedger, RedisUnavailableError } from '../../../src/ledger/redis.js';
import type { LeaseSpendEvent, RedisLedgerOptions } from '../../../src/ledger/redis.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix } from '../../helpers/redisServer.js';
import type { RedisServerProcess } from '../../helpers/redisServer.js';

const binary = redisServerStatus();
const LIMIT = 10_000;
const bucket = (_now?: number): Bucket => ({ key: 'cap|global|all', budgetId: 'cap', limitNanos: LIMIT, enforce: true });
const reserve = (id: string, amountNanos: number, now = Date.now()): ReserveRequest => ({ id, amountNanos, buckets: [bucket(now)], now, expiresAt: now + 600_000 });
const record = (id: string, costNanos: number): UsageRecord => ({
  id, time: Date.now(), provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos, status: 'ok',
});

describe.skipIf(!binary.run)(`RedisLedger leases ${binary.skipReason}`, () => {
  const servers: RedisServerProcess[] = [];
  const ledgers: RedisLedger[] = [];
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-leases-'));
  });
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
    for (const s of servers.splice(0)) await s.kill();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function open(server: RedisServerProcess, keyPrefix: string, extra: Partial<RedisLedgerOptions> = {}): RedisLedger {
    const ledger = new RedisLedger({
      url: server.url,
      keyPrefix,
      commandTimeoutMs: 300,
      callWaitMs: 300,
      maxReconnectDelayMs: 100,
      journalDir: mkdtempSync(join(dir, 'journal-')),
      problems: new Problems({ quiet: true }),
      ...extra,
    });
    ledgers.push(ledger);
    return ledger;
  }

  async function leaseOf(ledger: RedisLedger): Promise<number> {
    let usd = -1;
    for (let i = 0; i < 100 && usd < 0; i++) {
      const [lease] = ledger.leases();
      if (lease !== undefined) usd = lease.leaseUsd;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (usd < 0) throw new Error('no lease was taken');
    return Math.round(usd * 1e9);
  }

  it('a lease is reserved in Redis: another process sees it taken and cannot pass the cap', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const prefix = uniqueKeyPrefix('lease-held');
    const a = open(server, prefix, { leases: { share: 0.1 } });
    const b = open(server, prefix);
    expect(await a.reserve(reserve('a1', 1_000))).toMatchObject({ ok: true });
    // A tenth of the free room after a1: (10000 - 1000) / 10.
    expect(await leaseOf(a)).toBe(900);
    const [state] = await b.bucketStates([bucket(Date.now())], Date.now());
    expect(state).toMatchObject({ spentNanos: 0, reservedNanos: 1_900 });
    expect(await b.reserve(reserve('b1', LIMIT - 1_900))).toMatchObject({ ok: true });
    expect(await b.reserve(reserve('b2', 1))).toMatchObject({ ok: false });
    expect(b.leases()).toEqual([]);
  });

  it('a process gives its own lease back when a call of its own needs the room', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const prefix = uniqueKeyPrefix('lease-giveback');
    const a = open(server, prefix, { leases: { share: 0.1 } });
    const b = open(server, prefix);
    await a.reserve(reserve('a1', 1_000));
    expect(await leaseOf(a)).toBe(900);
    expect(await b.reserve(reserve('b1', 8_000))).toMatchObject({ ok: true });
    // 100 free; a's own lease of 900 makes room for 500.
    expect(await a.reserve(reserve('a2', 500))).toMatchObject({ ok: true });
    expect(a.leases()).toMatchObject([{ leaseUsd: 0 }]);
    const [state] = await b.bucketStates([bucket(Date.now())], Date.now());
    expect(state?.reservedNanos).toBe(9_500);
    // Another process' lease is never taken: b cannot use a's room.
    const c = open(server, prefix, { leases: { share: 0.1 } });
    expect(await c.reserve(reserve('c1', 600))).toMatchObject({ ok: false });
  });

  it('admits from the lease while Redis is away, journals the settlements, and gives the lease back after the replay', async () => {
    const aof = mkdtempSync(join(dir, 'aof-'));
    const server = await startRedisServer({ appendOnlyDir: aof });
    servers.push(server);
    const prefix = uniqueKeyPrefix('lease-outage');
    const lines: string[] = [];
    const events: LeaseSpendEvent[] = [];
    const a = open(server, prefix, { leases: { share: 0.2 }, problems: new Problems({ write: (line) => lines.push(line) }), onLease: (e) => events.push(e) });
    const off = open(server, prefix);
    expect(await a.reserve(reserve('up', 1_000))).toMatchObject({ ok: true });
    await a.settle(record('up', 1_000), [bucket(Date.now())]);
    expect(await leaseOf(a)).toBe(1_800); // (10000 - 1000 reserved) / 5, taken right after the reservation

    await server.kill();
    // Without a lease the store is down for the call; with one, it is admitted from the lease.
    await expect(off.reserve(reserve('off', 100))).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(await a.reserve(reserve('o1', 1_000))).toMatchObject({ ok: true });
    expect(await a.reserve(reserve('o2', 700))).toMatchObject({ ok: true });
    await expect(a.reserve(reserve('o3', 200))).rejects.toBeInstanceOf(RedisUnavailableError); // 100 left
    await a.settle(record('o1', 400), [bucket(Date.now())]); // journaled; 600 of 1000 back
    expect(a.journaled).toBe(1);
    expect(await a.reserve(reserve('o3', 650))).toMatchObject({ ok: true });
    expect(a.leases()).toMatchObject([{ leaseUsd: 1.8e-6, spentFrom: true }]);
    expect(Math.round((a.leases()[0]?.remainingUsd ?? 0) * 1e9)).toBe(1_800 - 400 - 700 - 650);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ bucketKey: 'cap|global|all', budgetId: 'cap', leaseUsd: 1.8e-6, reason: 'disconnected' });
    expect(lines.some((l) => l.includes('admitted from this process\' lease') && l.includes('"cap"'))).toBe(true);
    await a.release('o3'); // released during the outage: its share of the lease comes back

    const restarted = await startRedisServer({ port: server.port, appendOnlyDir: aof });
    servers.push(restarted);
    // Recovery: o1 replayed, o2 (still in flight) put in Redis as a reservation, the lease given back.
    for (let i = 0; i < 200 && (a.leases().some((l) => l.spentFrom) || a.journaled > 0); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(a.journaled).toBe(0);
    expect(a.leases().filter((l) => l.spentFrom)).toEqual([]);
    const [state] = await off.bucketStates([bucket(Date.now())], Date.now());
    expect(state).toMatchObject({ spentNanos: 1_000 + 400, reservedNanos: 700 });
    await a.settle(record('o2', 500), [bucket(Date.now())]);
    const [after] = await off.bucketStates([bucket(Date.now())], Date.now());
    expect(after?.spentNanos).toBe(1_900);
    // The next reservation takes a fresh lease, from what is free now.
    expect(await a.reserve(reserve('next', 100))).toMatchObject({ ok: true });
    expect(await leaseOf(a)).toBe(Math.floor((LIMIT - 1_900 - 100) / 5));
  });

  it('without the leases option nothing is leased and a reservation fails while Redis is away', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const a = open(server, uniqueKeyPrefix('lease-off'));
    await a.reserve(reserve('up', 100));
    const [state] = await a.bucketStates([bucket(Date.now())], Date.now());
    expect(state?.reservedNanos).toBe(100);
    await server.kill();
    await expect(a.reserve(reserve('o1', 1))).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it('rejects bad lease options, naming the field', () => {
    expect(() => new RedisLedger({ url: 'redis://127.0.0.1:1/0', leases: { share: 0 } })).toThrow(/options\.leases\.share must be a number above 0 and at most 0\.5/);
    expect(() => new RedisLedger({ url: 'redis://127.0.0.1:1/0', leases: { share: 0.6 } })).toThrow(/leases\.share/);
    expect(() => new RedisLedger({ url: 'redis://127.0.0.1:1/0', leases: { share: 0.1, maxUsd: -1 } })).toThrow(/options\.leases\.maxUsd must be a positive number/);
    expect(() => new RedisLedger({ url: 'redis://127.0.0.1:1/0', leases: { share: 0.1, ttlMs: 10 } })).toThrow(/options\.leases\.ttlMs must be an integer number of ms >= 1000/);
  });
});
