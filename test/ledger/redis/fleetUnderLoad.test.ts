/**
 * The shared-budget guarantee on Redis under the load that used to break it: 4 replica
 * processes × 250 concurrent calls through the real `openai` client and instrumentOpenAI,
 * against the fake OpenAI server, on a throwaway redis-server, sharing a $1.00 daily deny
 * budget (1,000-token prompts, max_tokens 500), while two busy loops load both cores; five
 * times over. Every repetition: no more calls reach the provider than the cap pays for, the
 * settled spend stays under the cap, and at least 90 % of the calls that fit are allowed
 * (a slow Redis answer under load must not count as an outage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../../src/ledger/redis.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/index.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix, type RedisServerProcess } from '../../helpers/redisServer.js';
import { buildDist } from '../redis-fixtures/fixtureProcess.js';
import { busyLoops, startFleet, type Fleet } from './fleet.js';

const binary = redisServerStatus();
const WORKERS = 4;
const CALLS = 250;
const REPETITIONS = 5;
const CAP_USD = 1;

describe.skipIf(!binary.run)(`a $1 Redis budget shared by ${WORKERS} processes × ${CALLS} calls, both cores busy ${binary.skipReason}`, () => {
  let server: RedisServerProcess;
  const fakes: FakeOpenAI[] = [];
  let busy: ChildProcess[] = [];
  let fleet: Fleet;
  let dir: string;

  beforeAll(async () => {
    await buildDist();
    dir = mkdtempSync(join(tmpdir(), 'tollgate-fleet-'));
    server = await startRedisServer();
    fleet = await startFleet({ redisUrl: server.url, workers: WORKERS, callsPerWorker: CALLS, maxUsd: CAP_USD });
    busy = busyLoops(120_000);
  }, 300_000);

  afterAll(async () => {
    for (const child of busy) child.kill('SIGKILL');
    await fleet?.stop();
    for (const fake of fakes) await fake.close();
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`holds the cap and allows what fits, ${REPETITIONS} times in a row`, async () => {
    for (let rep = 1; rep <= REPETITIONS; rep++) {
      const keyPrefix = uniqueKeyPrefix(`fleet-${rep}`);
      const fake = await startFakeOpenAI({ outputTokens: 500 });
      fakes.push(fake);
      const round = await fleet.round(keyPrefix, join(dir, `journal-${rep}`), fake.baseURL);
      const before = fake.requests.length;
      const started = performance.now();
      round.go();
      const results = await round.results();
      const ms = performance.now() - started;
      expect(await round.finish()).toEqual(results.map(() => ({ journaled: 0, resets: 0 })));
      const reachedProvider = fake.requests.length - before;

      const reader = new RedisLedger({ url: server.url, keyPrefix });
      const [usage] = await reader.usage({ by: 'model', where: { status: 'ok' } });
      await reader.close();

      const allowed = results.reduce((n, r) => n + r.allowed, 0);
      const denied = results.reduce((n, r) => n + r.denied, 0);
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      expect(results.reduce((n, r) => n + r.storeDown + r.failed, 0)).toBe(0);
      expect(allowed + denied).toBe(WORKERS * CALLS);
      expect(usage?.calls).toBe(allowed);
      expect(reachedProvider).toBe(allowed);
      // Every call costs the same: what the cap pays for is a whole number of them.
      const perCall = (usage?.costNanos ?? 0) / allowed;
      const fit = Math.floor((CAP_USD * 1e9) / perCall);
      expect(usage?.costNanos).toBeLessThanOrEqual(CAP_USD * 1e9);
      expect(reachedProvider).toBeLessThanOrEqual(fit);
      expect(allowed, `repetition ${rep}: ${allowed} of the ${fit} calls that fit were allowed`).toBeGreaterThanOrEqual(Math.ceil(0.9 * fit));
      process.stdout.write(`repetition ${rep}: ${allowed} allowed of ${fit} that fit, ${reachedProvider} reached the provider, $${((usage?.costNanos ?? 0) / 1e9).toFixed(4)} settled, ${Math.round(ms)} ms\n`);
    }
  }, 600_000);
});
