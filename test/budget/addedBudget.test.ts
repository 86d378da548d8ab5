// A budget added at run time counts the spend already settled in its window (BudgetEngine.add →
// seedNewBudget → Ledger.seed), on each store tollgate ships: memory, SQLite (a file) and Redis.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import type { CallRequest } from '../../src/budget/CallTypes.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { tempDirs } from '../helpers/tempDirs.js';
import { USD, call, finished, harness } from './engineHarness.js';
import type { Harness } from './engineHarness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-03-10T12:00:00Z */
const NOON = Date.UTC(2026, 2, 10, 12);

const redis = await mainRedisStatus();
const redisPrefixes: string[] = [];
afterAll(async () => {
  if (redis.up) for (const prefix of redisPrefixes) await deleteKeysWithPrefix(MAIN_REDIS_URL, prefix);
});
const files = tempDirs('tollgate-seed-');
const open: Ledger[] = [];
afterEach(async () => {
  for (const ledger of open.splice(0)) await ledger.close();
});

interface Store {
  name: string;
  /** A new, empty ledger; `path`: the SQLite file to open (another process's view of the same one). */
  make(path?: string): Ledger;
  skip?: boolean;
}

const stores: Store[] = [
  { name: 'memory', make: () => new MemoryLedger() },
  { name: 'SQLite', make: (path) => new SqliteLedger({ path: path ?? files.file('ledger.db') }) },
  {
    name: 'Redis',
    skip: !redis.run,
    make: () => {
      const keyPrefix = uniqueKeyPrefix('seed');
      redisPrefixes.push(keyPrefix);
      return new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix });
    },
  },
];

function engineOn(store: Store, budgets: BudgetSpec[] = [], ledger = store.make()): Harness {
  open.push(ledger);
  return harness(budgets, NOON, { ledger });
}

/** A call of `nanos` at `at` (engine clock), settled at that cost; resolves once it is in the store. */
async function spendAt(h: Harness, at: number, nanos: number, fields: Partial<CallRequest> = {}): Promise<void> {
  h.clock.set(at);
  const a = await h.engine.admit(call(nanos, fields));
  h.engine.finish(a, finished(a.id, nanos, fields));
  await h.engine.forceFlush();
}

/** The admission of a call of `nanos` now: 'allow', or 'deny' when a budget refused it. */
async function decision(h: Harness, nanos: number, fields: Partial<CallRequest> = {}): Promise<string> {
  try {
    const a = await h.engine.admit(call(nanos, fields));
    await h.engine.release(a);
    return a.decision;
  } catch (err: unknown) {
    if (err instanceof BudgetExceededError) return 'deny';
    throw err;
  }
}

async function spent(h: Harness, filter: Parameters<Harness['engine']['status']>[0] = {}): Promise<[string, string, number][]> {
  return (await h.engine.status(filter)).map((s) => [s.budget.id, s.key, s.spentUsd]);
}

for (const store of stores) {
  describe.skipIf(store.skip === true)(`a budget added at run time, ${store.name} store`, () => {
    it('counts what was spent earlier in its window: a daily cap added at noon holds the whole day', async () => {
      const h = engineOn(store);
      await spendAt(h, NOON - 13 * HOUR, 0.5 * USD); // yesterday 23:00: another window
      await spendAt(h, NOON - 3 * HOUR, 0.3 * USD);
      await spendAt(h, NOON - HOUR, 0.4 * USD, { model: 'gpt-4o-mini' });
      h.clock.set(NOON);
      await h.engine.add({ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' });
      expect(await spent(h)).toEqual([['day', 'global', 0.7]]);
      expect(await decision(h, 0.31 * USD)).toBe('deny');
      expect(await decision(h, 0.3 * USD)).toBe('allow');
      expect(h.problemLines).toEqual([]);
    });

    it('counts each counter of a per-user budget, and only the calls its filters take', async () => {
      const h = engineOn(store);
      await spendAt(h, NOON - 2 * HOUR, 0.6 * USD, { user: 'alice' });
      await spendAt(h, NOON - 2 * HOUR, 0.2 * USD, { user: 'bob' });
      await spendAt(h, NOON - 2 * HOUR, 0.9 * USD, { user: 'bob', model: 'gpt-4o-mini' });
      await spendAt(h, NOON - HOUR, 0.9 * USD); // no user: no counter of a per-user budget
      h.clock.set(NOON);
      await h.engine.add({ id: 'per-user', scope: 'daily', per: 'user', model: 'gpt-4o', maxUsd: 1, onExceed: 'deny' });
      expect(await spent(h, { values: { user: 'alice' } })).toEqual([['per-user', 'user=alice', 0.6]]);
      expect(await spent(h, { values: { user: 'bob' } })).toEqual([['per-user', 'user=bob', 0.2]]);
      expect(await decision(h, 0.5 * USD, { user: 'alice' })).toBe('deny');
      expect(await decision(h, 0.5 * USD, { user: 'bob' })).toBe('allow');
    });

    it('counts a rolling window from each call\'s time, so earlier spend leaves it when its day is over', async () => {
      const h = engineOn(store);
      await spendAt(h, NOON - 30 * HOUR, 0.5 * USD); // before the window
      await spendAt(h, NOON - 10 * HOUR, 0.4 * USD);
      h.clock.set(NOON);
      await h.engine.add({ id: 'rolling', scope: 'daily', window: 'rolling', maxUsd: 1, onExceed: 'deny' });
      expect(await spent(h)).toEqual([['rolling', 'global', 0.4]]);
      expect(await decision(h, 0.61 * USD)).toBe('deny');
      // Redis counts rolling windows in 1-minute slots: two minutes past the day, the call has left it.
      h.clock.set(NOON + 14 * HOUR + 2 * 60_000);
      expect(await spent(h)).toEqual([['rolling', 'global', 0]]);
      expect(await decision(h, USD)).toBe('allow');
    });

    it('seeds a budget once: replacing it (same id) keeps its counters as they are', async () => {
      const h = engineOn(store);
      await spendAt(h, NOON - HOUR, 0.7 * USD);
      h.clock.set(NOON);
      await h.engine.add({ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' });
      await spendAt(h, NOON + HOUR, 0.1 * USD);
      await h.engine.add({ id: 'day', scope: 'daily', maxUsd: 2, onExceed: 'deny' });
      expect(await spent(h)).toEqual([['day', 'global', 0.8]]);
    });

    it('leaves out what was spent before the latest reset of the counters', async () => {
      const h = engineOn(store, [{ id: 'session-cap', scope: 'session', maxUsd: 5 }]);
      await spendAt(h, NOON - 3 * HOUR, 0.7 * USD, { session: 'S-1' });
      await spendAt(h, NOON - 3 * HOUR, 0.2 * USD, { session: 'S-2' });
      h.clock.set(NOON - 2 * HOUR);
      await h.engine.resets.session('S-1');
      await spendAt(h, NOON - HOUR, 0.1 * USD, { session: 'S-1' });
      h.clock.set(NOON);
      await h.engine.add({ id: 'session-2', scope: 'session', maxUsd: 1, onExceed: 'deny' });
      await h.engine.add({ id: 'day', scope: 'daily', maxUsd: 5, onExceed: 'deny' });
      expect(await spent(h, { session: 'S-1' })).toEqual([['session-cap', 'S-1', 0.1], ['session-2', 'S-1', 0.1], ['day', 'global', 1]]);
      expect(await spent(h, { session: 'S-2' })).toEqual([['session-cap', 'S-2', 0.2], ['session-2', 'S-2', 0.2], ['day', 'global', 1]]);
      h.clock.set(NOON + HOUR);
      await h.engine.resets.all();
      await spendAt(h, NOON + 2 * HOUR, 0.05 * USD);
      await h.engine.add({ id: 'day-2', scope: 'daily', maxUsd: 5, onExceed: 'deny' });
      expect((await spent(h)).filter(([id]) => id.startsWith('day'))).toEqual([['day', 'global', 0.05], ['day-2', 'global', 0.05]]);
    });

    it('says so when records of its window are gone from the store, and counts those it still has', async () => {
      const h = engineOn(store);
      const monthStart = Date.UTC(2026, 2, 1);
      await spendAt(h, monthStart + 2 * DAY, 0.3 * USD);
      await spendAt(h, monthStart + 8 * DAY, 0.2 * USD);
      await h.ledger.prune(monthStart + 5 * DAY);
      h.clock.set(NOON);
      await h.engine.add({ id: 'month', scope: 'monthly', maxUsd: 10, onExceed: 'deny' });
      expect(await spent(h)).toEqual([['month', 'global', 0.2]]);
      expect(h.problemLines.join('\n')).toMatch(/budget "month": up to \$0\.30 spent in its window has no records left in the store/);
    });
  });
}

describe('a budget added at run time, SQLite file shared by two processes', () => {
  it('is seeded once, in the file: the other process loads the budget and finds its counter', async () => {
    const path = files.file('shared.db');
    const sqlite = stores[1] as Store;
    const a = engineOn(sqlite, [], sqlite.make(path));
    const b = engineOn(sqlite, [], sqlite.make(path));
    await spendAt(a, NOON - 2 * HOUR, 0.4 * USD);
    await spendAt(b, NOON - HOUR, 0.5 * USD);
    a.clock.set(NOON);
    b.clock.set(NOON);
    await a.engine.add({ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' });
    await b.engine.load();
    expect(await spent(b)).toEqual([['day', 'global', 0.9]]);
    expect(await decision(b, 0.11 * USD)).toBe('deny');
  });
});
