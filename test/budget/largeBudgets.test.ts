import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BudgetConfigError } from '../../src/core/BudgetConfigError.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { call, finished, harness } from './engineHarness.js';

// Budgets above 2^53 nano-USD (maxUsd 1e7 = 1e16 nanos, 1e12 = 1e21 nanos) on every store: they
// admit, they count, and a small cap beside them still denies. Out-of-range limits are refused
// before anything is stored, and one already stored is skipped loudly without disabling the rest.

const redis = await mainRedisStatus();
const T0 = Date.UTC(2026, 2, 10, 12);
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const STORES: { name: string; run: boolean; open: () => Ledger }[] = [
  { name: 'memory', run: true, open: () => new MemoryLedger() },
  {
    name: 'SQLite',
    run: true,
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-large-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return new SqliteLedger({ path: join(dir, 'ledger.db') });
    },
  },
  {
    name: 'Redis',
    run: redis.run,
    open: () => {
      const keyPrefix = uniqueKeyPrefix('large-budgets');
      cleanups.push(() => deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix).then(() => undefined));
      return new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix });
    },
  },
];

const LARGE: BudgetSpec[] = [
  { id: 'ten-million', scope: 'daily', maxUsd: 1e7 },
  { id: 'trillion', scope: 'total', maxUsd: 1e12 },
];
/** 1,000 nano-USD per session: two calls of 400 fit, the third does not. */
const SMALL_CAP: BudgetSpec = { id: 'session-cap', scope: 'session', maxUsd: 0.000001 };

for (const store of STORES) {
  describe.skipIf(!store.run)(`budgets above $9M on the ${store.name} store`, () => {
    it('admit and count, through config and the API, while a small cap beside them denies', async () => {
      const ledger = store.open();
      const h = harness([...LARGE, SMALL_CAP], T0, { ledger, failMode: 'open' });
      try {
        await h.engine.load();
        await h.engine.add({ id: 'api-trillion', scope: 'monthly', maxUsd: 1e12, onExceed: 'deny' });
        const outcomes: string[] = [];
        for (let i = 0; i < 3; i++) {
          try {
            const a = await h.engine.admit(call(400, { session: 'S-1' }));
            h.engine.finish(a, finished(a.id, 400, { session: 'S-1' }));
            await h.engine.forceFlush();
            outcomes.push(a.decision);
          } catch (err: unknown) {
            if (!(err instanceof BudgetExceededError)) throw err;
            outcomes.push(`deny:${err.budgetId}`);
          }
        }
        expect(outcomes).toEqual(['allow', 'allow', 'deny:session-cap']);
        // No store failure: the large limits never made a reservation fail (fail-open never had to step in).
        expect(h.engine.errorCount).toBe(0);
        expect(h.problemLines).toEqual([]);
        const status = await h.engine.status({ session: 'S-1' });
        const byId = Object.fromEntries(status.map((s) => [s.budget.id, s]));
        expect(byId['ten-million']).toMatchObject({ spentUsd: 800e-9, reservedUsd: 0, limitUsd: 1e7 });
        expect(byId['trillion']).toMatchObject({ spentUsd: 800e-9, limitUsd: 1e12 });
        expect(byId['api-trillion']).toMatchObject({ spentUsd: 800e-9, limitUsd: 1e12 });
        expect(byId['trillion']?.remainingUsd).toBeCloseTo(1e12 - 800e-9, 0);
        // A call of $5M fits the $10M daily budget; a second one while it is held does not ($800 nanos spent already).
        const big = await h.engine.admit(call(5_000_000_000_000_000));
        expect(big.decision).toBe('allow');
        const refused = await Promise.resolve()
          .then(() => h.engine.admit(call(5_000_000_000_000_000)))
          .then(() => undefined, (err: unknown) => err);
        expect(refused).toBeInstanceOf(BudgetExceededError);
        expect((refused as BudgetExceededError).budgetId).toBe('ten-million');
        await h.engine.release(big);
        expect((await h.engine.admit(call(5_000_000_000_000_000))).decision).toBe('allow');
      } finally {
        await ledger.close();
      }
    });

    it('refuses maxUsd above 1e15, Infinity, NaN and negatives before storing anything', async () => {
      const ledger = store.open();
      const h = harness([], T0, { ledger });
      try {
        for (const maxUsd of [1e308, 1e15 * 1.5, Number.POSITIVE_INFINITY, Number.NaN, -5, 0]) {
          await expect(h.engine.add({ id: 'bad', scope: 'daily', maxUsd })).rejects.toThrow(BudgetConfigError);
        }
        await expect(h.engine.add({ id: 'bad', scope: 'daily', maxUsd: 1e308 })).rejects.toThrow(
          'invalid budget: budget.maxUsd must be a number of USD greater than 0 and at most 1e15; got 1e+308',
        );
        expect(await ledger.listBudgets()).toEqual([]);
        expect(() => harness([{ scope: 'daily', maxUsd: 1e308 }], T0, { ledger })).toThrow('budgets[0].maxUsd must be a number of USD greater than 0 and at most 1e15');
        expect((await h.engine.add({ id: 'max', scope: 'total', maxUsd: 1e15 })).maxUsd).toBe(1e15);
      } finally {
        await ledger.close();
      }
    });

    it('skips a stored out-of-range budget loudly, and every other budget still holds', async () => {
      const ledger = store.open();
      // Written by an older tollgate (or by hand): never accepted by this one.
      await ledger.putBudget({ id: 'broken', spec: { scope: 'daily', maxUsd: 1e308, onExceed: 'deny' } });
      await ledger.putBudget({ id: 'daily-cap', spec: { scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' } });
      const h = harness([], T0, { ledger, failMode: 'open' });
      try {
        await h.engine.load();
        expect(h.engine.list().map((b) => b.id)).toEqual(['daily-cap']);
        expect(h.problemLines.join('')).toContain('ignoring the invalid budget "broken" stored in the ledger');
        expect(h.problemLines.join('')).toContain('maxUsd must be a number of USD greater than 0 and at most 1e15; got 1e+308');
        let admitted = 0;
        let denied = 0;
        for (let i = 0; i < 10; i++) {
          try {
            const a = await h.engine.admit(call(400));
            h.engine.finish(a, finished(a.id, 400));
            await h.engine.forceFlush();
            admitted++;
          } catch (err: unknown) {
            if (!(err instanceof BudgetExceededError)) throw err;
            denied++;
          }
        }
        expect({ admitted, denied }).toEqual({ admitted: 2, denied: 8 });
        expect(h.engine.errorCount).toBe(0);
      } finally {
        await ledger.close();
      }
    });
  });
}
