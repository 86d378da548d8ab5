/**
 * Redis SIGKILLed in the middle of a fleet's run and restarted on the same port, with AOF
 * persistence and without, on the default settings: 4 replica processes × 250 concurrent real
 * `openai` calls sharing a $1.00 daily deny budget. The cap holds (deny budgets fail closed
 * while Redis is away), every call that reached the provider is recorded exactly once after
 * recovery (settlements Redis did not take are journaled and replayed; without persistence the
 * replicas re-add what they remember), and a restart that lost the data is reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../../src/ledger/redis.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/index.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix, type RedisServerProcess } from '../../helpers/redisServer.js';
import { buildDist } from '../redis-fixtures/fixtureProcess.js';
import { startFleet, type Fleet } from './fleet.js';

const binary = redisServerStatus();
const WORKERS = 4;
const CALLS = 250;
const CAP_USD = 1;

describe.skipIf(!binary.run)(`a shared Redis budget when Redis is SIGKILLed mid-run and restarted ${binary.skipReason}`, () => {
  const servers: RedisServerProcess[] = [];
  const fakes: FakeOpenAI[] = [];
  let dir: string;

  beforeAll(async () => {
    await buildDist();
    dir = mkdtempSync(join(tmpdir(), 'tollgate-fault-'));
  }, 300_000);

  afterAll(async () => {
    for (const s of servers) await s.kill();
    for (const f of fakes) await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function killMidRun(persistent: boolean): Promise<void> {
    const aof = persistent ? mkdtempSync(join(dir, 'aof-')) : undefined;
    const server = await startRedisServer(aof === undefined ? {} : { appendOnlyDir: aof });
    servers.push(server);
    const fake = await startFakeOpenAI({ outputTokens: 500 });
    fakes.push(fake);
    const keyPrefix = uniqueKeyPrefix(persistent ? 'fault-aof' : 'fault-none');
    let fleet: Fleet | undefined;
    try {
      fleet = await startFleet({ redisUrl: server.url, workers: WORKERS, callsPerWorker: CALLS, maxUsd: CAP_USD });
      const round = await fleet.round(keyPrefix, join(dir, `journal-${persistent ? 'aof' : 'none'}`), fake.baseURL);
      round.go();
      // Mid-run: once a fifth of the calls that fit have reached the provider.
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(25);
      await server.kill();
      const restarted = await startRedisServer({ port: server.port, ...(aof === undefined ? {} : { appendOnlyDir: aof }) });
      servers.push(restarted);
      const results = await round.results();
      const finished = await round.finish();

      const allowed = results.reduce((n, r) => n + r.allowed, 0);
      const refused = results.reduce((n, r) => n + r.denied + r.storeDown, 0);
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      expect(allowed + refused).toBe(WORKERS * CALLS);
      expect(allowed).toBeGreaterThan(0);
      expect(fake.requests.length).toBe(allowed);
      // Nothing is left in any journal: every settlement reached Redis.
      expect(finished.map((f) => f.journaled)).toEqual(results.map(() => 0));

      const reader = new RedisLedger({ url: restarted.url, keyPrefix });
      try {
        const [usage] = await reader.usage({ by: 'model', where: { status: 'ok' } });
        const records = await reader.records({ limit: 10_000 });
        // Every call that reached the provider is recorded exactly once.
        expect(usage?.calls).toBe(allowed);
        expect(new Set(records.filter((r) => r.status === 'ok').map((r) => r.id)).size).toBe(allowed);
        expect(usage?.costNanos).toBeLessThanOrEqual(CAP_USD * 1e9);
      } finally {
        await reader.close();
      }
      const resets = finished.reduce((n, f) => n + f.resets, 0);
      if (persistent) expect(resets).toBe(0);
      else expect(resets).toBeGreaterThanOrEqual(1);
    } finally {
      await fleet?.stop();
    }
  }

  it('with AOF persistence: no overspend, every call recorded once (journal replayed), no reset reported', async () => {
    await killMidRun(true);
  }, 180_000);

  it('without persistence: the reset is reported, the replicas re-add their spend, no overspend, every call recorded once', async () => {
    await killMidRun(false);
  }, 180_000);
});
