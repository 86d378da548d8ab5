/**
 * A lease belongs to its budget window: a daily budget's lease taken before midnight UTC admits
 * calls during an outage until midnight, and none of the new day's calls (the budget's failMode
 * applies to them). Through the BudgetEngine, on a RedisLedger with leases, on a throwaway
 * redis-server killed by PID.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BudgetEngine } from '../../../src/budget/BudgetEngine.js';
import { LedgerUnavailableError } from '../../../src/core/LedgerUnavailableError.js';
import { Problems } from '../../../src/core/Problems.js';
import { RedisLedger } from '../../../src/ledger/redis.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix } from '../../helpers/redisServer.js';
import { call, linearPricer, TestClock } from '../../budget/engineHarness.js';

const binary = redisServerStatus();
const MIDNIGHT = Date.UTC(2026, 10, 24);

describe.skipIf(!binary.run)(`a lease across a window rollover during an outage ${binary.skipReason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-lease-window-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("admits from the lease until midnight, and no call of the new day from yesterday's lease", async () => {
    const server = await startRedisServer();
    const clock = new TestClock(MIDNIGHT - 60_000);
    const ledger = new RedisLedger({
      url: server.url,
      keyPrefix: uniqueKeyPrefix('lease-window'),
      callWaitMs: 300,
      commandTimeoutMs: 300,
      journalDir: join(dir, 'journal'),
      problems: new Problems({ quiet: true }),
      leases: { share: 0.5, ttlMs: 600_000 },
    });
    const problems = new Problems({ quiet: true });
    // 1 nano per input token: a $0.00001 (10,000 nanos) daily deny budget.
    const engine = new BudgetEngine({ ledger, pricer: linearPricer(), clock: clock.read, problems, budgets: [{ id: 'day', scope: 'daily', maxUsd: 0.00001, onExceed: 'deny' }] });
    try {
      await engine.admit(call(1_000));
      for (let i = 0; i < 100 && ledger.leases().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(ledger.leases()).toMatchObject([{ bucketKey: 'day|global|2026-11-23', leaseUsd: 4.5e-6 }]);

      await server.kill();
      clock.now = MIDNIGHT - 1_000;
      expect(await engine.admit(call(1_000))).toMatchObject({ decision: 'allow', reservedNanos: 1_000 });
      clock.now = MIDNIGHT + 1_000;
      await expect(engine.admit(call(1_000))).rejects.toBeInstanceOf(LedgerUnavailableError);
      expect(ledger.leases()).toMatchObject([{ bucketKey: 'day|global|2026-11-23', remainingUsd: 3.5e-6, spentFrom: true }]);
    } finally {
      await ledger.close();
      await server.kill();
    }
  });
});
