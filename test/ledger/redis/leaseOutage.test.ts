/**
 * Leases through a Redis outage: 3 replica processes call at a steady pace (the real `openai`
 * client through instrumentOpenAI, against the fake OpenAI server) on one $0.20 daily deny budget
 * on their own redis-server with AOF; Redis is SIGKILLed mid-run and restarted ~2 s later. Run
 * once with leases (a tenth of the free room each) and once without. With leases the replicas
 * keep serving calls while Redis is away, up to their leases; without, every call in the outage
 * is refused. Either way the settled spend stays under the cap and every call that reached the
 * provider is recorded exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../../src/ledger/redis.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/index.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix, type RedisServerProcess } from '../../helpers/redisServer.js';
import { buildDist, startFixture, type Fixture } from '../redis-fixtures/fixtureProcess.js';

const binary = redisServerStatus();
const WORKERS = 3;
const CAP_USD = 0.2;
const SHARE = 0.1;
const LOOPS = 2;
const PAUSE_MS = 40;
const RUN_MS = 16_000;
const OUTAGE_MS = 2_000;

type Outcome = 'allowed' | 'denied' | 'storeDown' | 'failed';
interface WorkerRun {
  calls: [number, Outcome][];
  leaseEvents: { budgetId: string; leaseUsd: number }[];
  errors: string[];
}

interface RunResult {
  runs: WorkerRun[];
  goAt: number;
  killedAt: number;
  restartedAt: number;
  allowed: number;
  requests: number;
  recorded: number;
  distinctIds: number;
  settledNanos: number;
  journaled: number[];
}

describe.skipIf(!binary.run)(`leases on a shared Redis budget through a Redis outage ${binary.skipReason}`, () => {
  const servers: RedisServerProcess[] = [];
  const fakes: FakeOpenAI[] = [];
  let dir: string;

  beforeAll(async () => {
    await buildDist();
    dir = mkdtempSync(join(tmpdir(), 'tollgate-lease-outage-'));
  }, 300_000);

  afterAll(async () => {
    for (const s of servers) await s.kill();
    for (const f of fakes) await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function outageRun(share: number): Promise<RunResult> {
    const label = share > 0 ? 'leases' : 'no-leases';
    const aof = mkdtempSync(join(dir, `aof-${label}-`));
    const server = await startRedisServer({ appendOnlyDir: aof });
    servers.push(server);
    const fake = await startFakeOpenAI({ outputTokens: 100 });
    fakes.push(fake);
    const keyPrefix = uniqueKeyPrefix(`lease-outage-${label}`);
    const journalDir = join(dir, `journal-${label}`);
    const workers: Fixture[] = Array.from({ length: WORKERS }, () =>
      startFixture('leaseWorker.mjs', [server.url, keyPrefix, journalDir, fake.baseURL, CAP_USD, share, LOOPS, PAUSE_MS, RUN_MS]),
    );
    try {
      for (const w of workers) expect(await w.nextLine()).toBe('ready');
      for (const w of workers) w.child.stdin.write('go\n');
      const goAt = Date.now();
      // Mid-run, once the fleet has spent some of the budget (leases are taken with the first calls).
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(30);
      await server.kill();
      const killedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      const restartedAt = Date.now();
      servers.push(await startRedisServer({ port: server.port, appendOnlyDir: aof }));
      const runs = await Promise.all(workers.map(async (w) => JSON.parse(await w.nextLine()) as WorkerRun));
      for (const w of workers) w.child.stdin.write('flush\n');
      const finished = await Promise.all(workers.map(async (w) => JSON.parse(await w.nextLine()) as { journaled: number }));
      const reader = new RedisLedger({ url: server.url, keyPrefix });
      try {
        const [usage] = await reader.usage({ by: 'model', where: { status: 'ok' } });
        const records = (await reader.records({ limit: 100_000 })).filter((r) => r.status === 'ok');
        return {
          runs,
          goAt,
          killedAt,
          restartedAt,
          allowed: runs.reduce((n, r) => n + r.calls.filter(([, o]) => o === 'allowed').length, 0),
          requests: fake.requests.length,
          recorded: usage?.calls ?? 0,
          distinctIds: new Set(records.map((r) => r.id)).size,
          settledNanos: usage?.costNanos ?? 0,
          journaled: finished.map((f) => f.journaled),
        };
      } finally {
        await reader.close();
      }
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
    }
  }

  /** Calls started while Redis was down (after the kill, before the restart) that were let through. */
  function allowedInOutage(r: RunResult): number {
    return r.runs.reduce((n, run) => n + run.calls.filter(([t, o]) => t >= r.killedAt && t < r.restartedAt && o === 'allowed').length, 0);
  }

  /** Outcomes before the kill, during the outage and after the restart, for the log. */
  function phases(r: RunResult): string {
    const calls = r.runs.flatMap((run) => run.calls);
    const count = (from: number, to: number): string => {
      const inPhase = calls.filter(([t]) => t >= from && t < to);
      return ['allowed', 'denied', 'storeDown'].map((o) => `${o} ${inPhase.filter(([, x]) => x === o).length}`).join(', ');
    };
    return `go→kill ${r.killedAt - r.goAt} ms [${count(0, r.killedAt)}] outage [${count(r.killedAt, r.restartedAt)}] after [${count(r.restartedAt, Infinity)}]`;
  }

  function expectCapAndExactlyOnce(r: RunResult): void {
    expect(r.runs.flatMap((run) => run.errors)).toEqual([]);
    expect(r.runs.flatMap((run) => run.calls).filter(([, o]) => o === 'failed')).toEqual([]);
    // Every call that reached the provider is recorded exactly once, and nothing waits in a journal.
    expect(r.requests).toBe(r.allowed);
    expect(r.recorded).toBe(r.allowed);
    expect(r.distinctIds).toBe(r.allowed);
    expect(r.journaled).toEqual(r.runs.map(() => 0));
    // The fleet's total settled spend stays under the cap.
    expect(r.settledNanos).toBeLessThanOrEqual(CAP_USD * 1e9);
  }

  it('with leases: calls go on during the outage up to the leases, the cap holds, every call recorded once; without: refused', async () => {
    const withLeases = await outageRun(SHARE);
    const without = await outageRun(0);
    const servedWith = allowedInOutage(withLeases);
    const servedWithout = allowedInOutage(without);
    console.log(
      `leases: ${servedWith} calls served during the ${OUTAGE_MS} ms outage (without leases: ${servedWithout}); ` +
        `settled $${(withLeases.settledNanos / 1e9).toFixed(4)} of $${CAP_USD} (without: $${(without.settledNanos / 1e9).toFixed(4)}); ` +
        `${withLeases.allowed} / ${without.allowed} calls in all\n  with: ${phases(withLeases)}\n  without: ${phases(without)}`,
    );
    expectCapAndExactlyOnce(withLeases);
    expectCapAndExactlyOnce(without);

    expect(servedWithout).toBe(0);
    expect(servedWith).toBeGreaterThan(servedWithout);
    // Every replica that served a call during the outage reported that it started spending from its
    // lease; a lease event names the budget. (Under load a replica may serve no call in the outage, or
    // take a second lease after recovery when a slow answer counts as one: neither is a failure.)
    const w = withLeases;
    for (const run of w.runs) {
      const servedInOutage = run.calls.some(([t, o]) => t >= w.killedAt && t < w.restartedAt && o === 'allowed');
      if (servedInOutage) expect(run.leaseEvents.length).toBeGreaterThanOrEqual(1);
      expect(run.leaseEvents.every((e) => e.budgetId === 'fleet')).toBe(true);
    }
    // The budget was used up: the run reached the cap (calls were denied at the end), so "under the cap" is tested at the edge.
    expect(withLeases.runs.some((run) => run.calls.some(([, o]) => o === 'denied'))).toBe(true);
  }, 240_000);
});
