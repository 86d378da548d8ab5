/**
 * Redis going away under a live ledger: a throwaway redis-server on a random port is
 * killed (SIGKILL by PID) or frozen (SIGSTOP) mid-run. Calls must reject quickly with
 * RedisUnavailableError (a settlement is journaled instead), count in `errors`, and work
 * again once Redis is back, on the same ledger object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Problems } from '../../src/core/Problems.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../../src/ledger/Ledger.js';
import { RedisLedger, RedisUnavailableError } from '../../src/ledger/redis.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix } from '../helpers/redisServer.js';
import type { RedisServerProcess } from '../helpers/redisServer.js';

const binary = redisServerStatus();
const COMMAND_TIMEOUT_MS = 300;
const T0 = Date.UTC(2026, 10, 23);
const bucket: Bucket = { key: 'daily|global|2026-11-23', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + 86_400_000 };
const reserve = (id: string, amountNanos = 100): ReserveRequest => ({ id, amountNanos, buckets: [bucket], now: T0, expiresAt: T0 + 60_000 });

const record = (id: string, costNanos: number): UsageRecord => ({
  id, time: T0, provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos, status: 'ok',
});

/** Runs `call` and returns what it rejected with and how long that took. */
async function failure(call: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (err: unknown) {
    return { err, ms: performance.now() - started };
  }
  throw new Error('expected the call to reject');
}

describe.skipIf(!binary.run)(`RedisLedger when Redis fails ${binary.skipReason}`, () => {
  const servers: RedisServerProcess[] = [];
  const ledgers: RedisLedger[] = [];

  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
    for (const s of servers.splice(0)) {
      s.resume();
      await s.kill();
    }
  });

  async function setup(): Promise<{ server: RedisServerProcess; ledger: RedisLedger }> {
    const server = await startRedisServer();
    servers.push(server);
    const ledger = new RedisLedger({
      url: server.url,
      keyPrefix: uniqueKeyPrefix('faults'),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      callWaitMs: COMMAND_TIMEOUT_MS,
      maxReconnectDelayMs: 100,
      resetGraceMs: 100,
      journalDir: mkdtempSync(join(tmpdir(), 'tollgate-journal-')),
      problems: new Problems({ quiet: true }),
    });
    ledgers.push(ledger);
    await ledger.ping();
    return { server, ledger };
  }

  it('rejects fast while Redis is down and works again, same object, once it is back', async () => {
    const { server, ledger } = await setup();
    expect(await ledger.reserve(reserve('before'))).toMatchObject({ ok: true });
    expect(ledger.errors).toBe(0);

    await server.kill();

    const calls: [string, () => Promise<unknown>][] = [
      ['reserve', () => ledger.reserve(reserve('during'))],
      ['release', () => ledger.release('before')],
      ['bucketStates', () => ledger.bucketStates([bucket], T0)],
      ['usage', () => ledger.usage({ by: 'model' })],
      ['records', () => ledger.records({})],
      ['ping', () => ledger.ping()],
    ];
    for (const [operation, call] of calls) {
      const { err, ms } = await failure(call);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(err).toMatchObject({ name: 'RedisUnavailableError', code: 'LEDGER_UNAVAILABLE', operation });
      expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
    }
    // A settlement Redis cannot take is not lost: it goes to the local journal.
    const settledDuring = await ledger.settle(record('before', 5), [bucket]);
    expect(settledDuring).toEqual([{ key: bucket.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 0, reservedNanos: 0 }]);
    expect(ledger.journaled).toBe(1);
    expect(ledger.errors).toBe(calls.length + 1);

    const restarted = await startRedisServer({ port: server.port });
    servers.push(restarted);
    await vi.waitFor(() => ledger.ping(), { timeout: 10_000, interval: 20 });
    await vi.waitFor(
      async () => {
        await ledger.flush();
        expect(ledger.journaled).toBe(0);
      },
      { timeout: 10_000, interval: 20 },
    );

    // The restarted server has no persistence; the journaled settlement was replayed into it (and released its reservation).
    expect(await ledger.bucketStates([bucket], T0)).toEqual([{ key: bucket.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 5, reservedNanos: 0 }]);
    expect(await ledger.reserve(reserve('after', 995))).toEqual({
      ok: true,
      states: [{ key: bucket.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 5, reservedNanos: 995 }],
    });
    const errorsAfterRecovery = ledger.errors;
    await ledger.settle(record('after', 400), [bucket]);
    expect(await ledger.bucketStates([bucket], T0)).toEqual([
      { key: bucket.key, budgetId: 'daily', limitNanos: 1_000, spentNanos: 405, reservedNanos: 0 },
    ]);
    expect(ledger.errors).toBe(errorsAfterRecovery);
    // Replaying again settles nothing twice.
    await ledger.flush();
    expect((await ledger.usage({ by: 'model' }))[0]).toMatchObject({ calls: 2, costNanos: 405 });
  });

  it('times out after callWaitMs when Redis hangs, then recovers when it answers again', async () => {
    const { server, ledger } = await setup();
    server.pause();
    const { err, ms } = await failure(() => ledger.reserve(reserve('frozen')));
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err).toMatchObject({ reason: 'timeout', operation: 'reserve' });
    expect(ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
    expect(ledger.errors).toBe(1);

    server.resume();
    await vi.waitFor(() => ledger.ping(), { timeout: 5_000, interval: 20 });
    // The timed-out reserve did run once Redis woke up; its reservation is live until released.
    expect((await ledger.bucketStates([bucket], T0))[0]?.reservedNanos).toBe(100);
    await ledger.release('frozen');
    expect(await ledger.reserve(reserve('thawed', 1_000))).toMatchObject({ ok: true });
  });

  it('fails fast while the first connection is refused, and connects once Redis starts', async () => {
    const { server } = await setup();
    await server.kill();
    const ledger = new RedisLedger({ url: server.url, keyPrefix: uniqueKeyPrefix('faults'), commandTimeoutMs: COMMAND_TIMEOUT_MS, maxReconnectDelayMs: 100 });
    ledgers.push(ledger);
    const first = await failure(() => ledger.ping());
    expect(first.err).toMatchObject({ name: 'RedisUnavailableError', reason: 'disconnected' });
    const second = await failure(() => ledger.ping());
    expect(second.ms).toBeLessThan(100);
    expect(ledger.errors).toBe(2);

    servers.push(await startRedisServer({ port: server.port }));
    await vi.waitFor(() => ledger.ping(), { timeout: 10_000, interval: 20 });
    expect(await ledger.reserve(reserve('late'))).toMatchObject({ ok: true });
  });
});
