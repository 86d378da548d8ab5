/**
 * The Redis ledger's writes on a throwaway redis-server: concurrent calls share one pipeline,
 * a slow answer is waited for (not an outage), and a store that lost its data is reported and
 * gets back the spend this process remembers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Problems } from '../../../src/core/Problems.js';
import type { Bucket, ReserveRequest } from '../../../src/ledger/Ledger.js';
import { RedisLedger } from '../../../src/ledger/redis.js';
import type { RedisLedgerOptions, StoreReset } from '../../../src/ledger/redis.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix, type RedisServerProcess } from '../../helpers/redisServer.js';
import { usageRecord } from '../../helpers/usageRecord.js';

const binary = redisServerStatus();
// Now: what the ledger remembers for a rebuild is what still counts at the real time.
const T0 = Date.now();
const bucket: Bucket = { key: 'total|global|all', budgetId: 'total', limitNanos: 1_000_000, enforce: true };
const reserve = (id: string, amountNanos = 100): ReserveRequest => ({ id, amountNanos, buckets: [bucket], now: T0, expiresAt: T0 + 600_000 });

describe.skipIf(!binary.run)(`RedisLedger writes ${binary.skipReason}`, () => {
  const servers: RedisServerProcess[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const s of servers.splice(0)) {
      s.resume();
      await s.kill();
    }
  });

  async function setup(options: Partial<RedisLedgerOptions> = {}): Promise<{ server: RedisServerProcess; ledger: RedisLedger; lines: string[] }> {
    const server = await startRedisServer();
    servers.push(server);
    const lines: string[] = [];
    const ledger = new RedisLedger({
      url: server.url,
      keyPrefix: uniqueKeyPrefix('writer'),
      maxReconnectDelayMs: 100,
      journalDir: mkdtempSync(join(tmpdir(), 'tollgate-journal-')),
      problems: new Problems({ write: (l) => lines.push(l) }),
      ...options,
    });
    closers.push(() => ledger.close());
    await ledger.ping();
    return { server, ledger, lines };
  }

  it('sends the reservations of one event-loop turn in one pipeline, as one script call', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const client = new Redis(server.url);
    closers.push(() => client.disconnect());
    const pipeline = client.pipeline.bind(client);
    let pipelines = 0;
    client.pipeline = ((...args: Parameters<typeof pipeline>) => {
      pipelines++;
      return pipeline(...args);
    }) as typeof client.pipeline;
    const ledger = new RedisLedger({ client, keyPrefix: uniqueKeyPrefix('writer'), journalDir: mkdtempSync(join(tmpdir(), 'tollgate-journal-')), maxBatch: 512 });
    closers.push(() => ledger.close());
    await ledger.reserve(reserve('warm-up'));
    const before = pipelines;
    const scriptsBefore = await evalshaCalls(client);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.reserve(reserve(`r${i}`))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(pipelines - before).toBe(1);
    expect((await evalshaCalls(client)) - scriptsBefore).toBe(1);
    expect((await ledger.bucketStates([bucket], T0))[0]?.reservedNanos).toBe(201 * 100);
  });

  it('loads the batch scripts again when the server forgot them (SCRIPT FLUSH), and runs the batch once', async () => {
    const { server, ledger } = await setup();
    await ledger.reserve(reserve('before', 100));
    const admin = new Redis(server.url);
    closers.push(() => admin.disconnect());
    await admin.script('FLUSH');
    const [a, b] = await Promise.all([
      ledger.reserve(reserve('a', 200)),
      ledger.reserve(reserve('b', 300)),
      ledger.settle(usageRecord({ id: 'before', time: T0, costNanos: 40 }), [bucket]),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    await admin.script('FLUSH');
    await Promise.all([ledger.release('a'), ledger.settle(usageRecord({ id: 'b', time: T0, costNanos: 30 }), [bucket])]);
    expect(await ledger.bucketStates([bucket], T0)).toEqual([{ key: bucket.key, budgetId: 'total', limitNanos: 1_000_000, spentNanos: 70, reservedNanos: 0 }]);
    expect(await ledger.usage({ by: 'model' })).toEqual([expect.objectContaining({ calls: 2, costNanos: 70 })]);
    expect(ledger.errors).toBe(0);
  });

  it('waits for a slow answer: a reservation outlives commandTimeoutMs while Redis does not answer, then succeeds', async () => {
    const { server, ledger } = await setup({ commandTimeoutMs: 100, callWaitMs: 20_000 });
    server.pause();
    const pending = ledger.reserve(reserve('slow'));
    // Redis is unresponsive for longer than a read may wait...
    await expect(ledger.ping()).rejects.toMatchObject({ reason: 'timeout' });
    server.resume();
    // ...and the reservation, still waiting, gets its answer.
    await expect(pending).resolves.toMatchObject({ ok: true });
  });

  it('reports a Redis that lost its data, once, and re-adds the spend and reservations it remembers', async () => {
    const resets: StoreReset[] = [];
    const { server, ledger, lines } = await setup({ resetGraceMs: 50, onStoreReset: (r) => resets.push(r) });
    await ledger.reserve(reserve('settled', 500));
    await ledger.settle(usageRecord({ id: 'settled', time: T0, costNanos: 400 }), [bucket]);
    await ledger.reserve(reserve('in-flight', 300));
    expect(resets).toEqual([]);

    // A restart without persistence: same port, empty data.
    await server.kill();
    servers.push(await startRedisServer({ port: server.port }));
    await vi.waitFor(() => ledger.ping(), { timeout: 10_000, interval: 20 });
    await ledger.flush();

    expect(resets).toEqual([expect.objectContaining({ keyPrefix: ledger.keyPrefix })]);
    expect(resets[0]?.epoch).not.toBe(resets[0]?.previousEpoch);
    expect(lines.filter((l) => l.includes('Redis lost tollgate')).length).toBe(1);
    expect(await ledger.bucketStates([bucket], T0)).toEqual([{ key: bucket.key, budgetId: 'total', limitNanos: 1_000_000, spentNanos: 400, reservedNanos: 300 }]);
    expect(await ledger.usage({ by: 'model' })).toEqual([expect.objectContaining({ calls: 1, costNanos: 400 })]);

    // FLUSHALL is noticed the same way (by the periodic epoch check or the next call).
    const admin = new Redis(servers[servers.length - 1]!.url);
    await admin.flushall();
    admin.disconnect();
    await ledger.flush();
    expect(resets).toHaveLength(2);
  });
});

/** EVALSHA calls the server has run (INFO commandstats). */
async function evalshaCalls(client: Redis): Promise<number> {
  const m = /cmdstat_evalsha:calls=(\d+)/.exec(await client.info('commandstats'));
  return m === null ? 0 : Number(m[1]);
}
