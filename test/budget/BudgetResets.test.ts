import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { harness, spend } from './engineHarness.js';

// Resets through the public API with the real openai client on the fake provider, on every
// store, and across two tollgates sharing one store (as two processes would).

const redis = await mainRedisStatus();
const open: Tollgate[] = [];
const after: (() => Promise<void>)[] = [];
let fake: FakeOpenAI;
beforeAll(async () => {
  ensureContextManager();
  fake = await startFakeOpenAI({ outputTokens: 400 });
  after.push(() => fake.close());
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.shutdown();
});
afterAll(async () => {
  for (const c of after.splice(0)) await c();
});

interface StoreKind {
  name: string;
  run: boolean;
  /** A new store, and a function opening another handle on the same store (another process's view); undefined when it cannot be shared. */
  make: () => { first: Ledger; another?: () => Ledger };
}

const STORES: StoreKind[] = [
  { name: 'memory', run: true, make: () => ({ first: new MemoryLedger() }) },
  {
    name: 'SQLite',
    run: true,
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-resets-'));
      after.push(async () => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'ledger.db');
      return { first: new SqliteLedger({ path }), another: () => new SqliteLedger({ path }) };
    },
  },
  {
    name: 'Redis',
    run: redis.run,
    make: () => {
      const keyPrefix = uniqueKeyPrefix('resets');
      after.push(() => deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix).then(() => undefined));
      return { first: new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix }), another: () => new RedisLedger({ url: MAIN_REDIS_URL, keyPrefix }) };
    },
  },
];

/** gpt-4o at $10/M output: a call with max_tokens 400 reserves and costs about $0.004; two fit a $0.01 session cap, the third does not. */
const BUDGETS: BudgetSpec[] = [
  { id: 'session-cap', scope: 'session', maxUsd: 0.01 },
  { id: 'daily-watch', scope: 'daily', maxUsd: 100, onExceed: 'warn' },
];

function tollgateOn(ledger: Ledger, budgets: BudgetSpec[] = BUDGETS): { t: Tollgate; ask: (session: string) => Promise<'allowed' | 'denied'> } {
  const t = createTollgate({ ledger, configFile: false, env: {}, guardFetch: false, quiet: true, budgets });
  open.push(t);
  const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t);
  const ask = (session: string): Promise<'allowed' | 'denied'> =>
    t.session(session, async () => {
      try {
        await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 400, messages: [{ role: 'user', content: 'next step' }] });
        return 'allowed';
      } catch (err: unknown) {
        if (err instanceof BudgetExceededError && err.budgetId === 'session-cap') return 'denied';
        throw err;
      }
    });
  return { t, ask };
}

async function sessionUsage(t: Tollgate, session: string): Promise<{ calls: number; costNanos: number }> {
  await t.forceFlush();
  const [row] = await t.usage({ by: 'session', where: { session, status: 'ok' } });
  return { calls: row?.calls ?? 0, costNanos: row?.costNanos ?? 0 };
}

for (const store of STORES) {
  describe.skipIf(!store.run)(`resets on the ${store.name} store`, () => {
    it('a session denied by its cap is allowed again after resetSession, while usage keeps the earlier spend', async () => {
      const { first } = store.make();
      const { t, ask } = tollgateOn(first);
      await t.ready;
      const before = fake.requests.length;
      expect([await ask('S-1'), await ask('S-1'), await ask('S-1')]).toEqual(['allowed', 'allowed', 'denied']);
      expect(fake.requests.length - before).toBe(2);
      const spent = await sessionUsage(t, 'S-1');
      expect(spent.calls).toBe(2);
      expect(spent.costNanos).toBeGreaterThan(7_000_000);

      const result = await t.resetSession('S-1', 'alice');
      expect(result).toMatchObject({ target: 'session:S-1', actor: 'alice', budgetIds: ['session-cap'] });
      expect(Math.abs(result.time - Date.now())).toBeLessThan(60_000);
      const [status] = (await t.budgetStatus()).filter((s) => s.budget.id === 'session-cap' && s.key === 'S-1');
      expect(status?.spentUsd).toBe(0);
      // The daily (warn) counter was not touched: only the session's counters start from zero.
      const [daily] = (await t.budgetStatus()).filter((s) => s.budget.id === 'daily-watch');
      expect(daily?.spentUsd).toBe(spent.costNanos / 1e9);

      expect(await ask('S-1')).toBe('allowed');
      expect(fake.requests.length - before).toBe(3);
      const now = await sessionUsage(t, 'S-1');
      expect(now.calls).toBe(3);
      expect(now.costNanos).toBeGreaterThan(spent.costNanos);
      expect(await t.budgets.resets.list()).toEqual([{ target: 'session:S-1', actor: 'alice', time: result.time }]);
      // Other sessions are untouched by the reset and by each other.
      expect([await ask('S-2'), await ask('S-2'), await ask('S-2')]).toEqual(['allowed', 'allowed', 'denied']);
    });

    it('clearAll starts every counter from zero and keeps the records', async () => {
      const { first } = store.make();
      const { t, ask } = tollgateOn(first, [{ id: 'session-cap', scope: 'session', maxUsd: 0.01 }, { id: 'daily-cap', scope: 'daily', maxUsd: 0.01 }]);
      await t.ready;
      expect([await ask('S-1'), await ask('S-2')]).toEqual(['allowed', 'allowed']);
      await expect(ask('S-3')).rejects.toMatchObject({ budgetId: 'daily-cap' });
      await t.forceFlush();
      const records = (await t.ledger.records({})).length;
      const result = await t.clearAll();
      expect(result).toMatchObject({ target: 'all', actor: 'api', budgetIds: ['session-cap', 'daily-cap'] });
      expect((await t.budgetStatus()).every((s) => s.spentUsd === 0)).toBe(true);
      expect(await ask('S-3')).toBe('allowed');
      await t.forceFlush();
      expect((await t.ledger.records({})).length).toBe(records + 1);
    });

    it.runIf(store.name !== 'memory')('a reset made through one tollgate applies at once to another sharing the store', async () => {
      const made = store.make();
      const a = tollgateOn(made.first);
      const b = tollgateOn((made.another as () => Ledger)());
      await Promise.all([a.t.ready, b.t.ready]);
      expect([await a.ask('S-9'), await a.ask('S-9'), await a.ask('S-9')]).toEqual(['allowed', 'allowed', 'denied']);
      // The other process sees the same counter...
      expect(await b.ask('S-9')).toBe('denied');
      await b.t.resetSession('S-9', 'ops');
      // ...and the reset, with no refresh to wait for.
      expect(await a.ask('S-9')).toBe('allowed');
      expect(await a.t.budgets.resets.list()).toEqual([expect.objectContaining({ target: 'session:S-9', actor: 'ops' })]);
      expect((await sessionUsage(a.t, 'S-9')).calls).toBe(3);
    });
  });
}

describe('BudgetResets (engine)', () => {
  it('announces thresholds again once spend grows after a reset', async () => {
    const h = harness([{ id: 'cap', scope: 'session', maxUsd: 0.000001, thresholds: [0.5] }], Date.UTC(2026, 2, 10));
    spend(h, 600, { session: 'S-1' });
    await h.engine.forceFlush();
    expect(h.thresholds.map((e) => e.threshold)).toEqual([0.5]);
    await h.engine.resets.session('S-1');
    spend(h, 600, { session: 'S-1' });
    await h.engine.forceFlush();
    expect(h.thresholds.map((e) => [e.threshold, e.spentUsd])).toEqual([
      [0.5, 600e-9],
      [0.5, 600e-9],
    ]);
  });

  it('names the session budgets it reset (a keyed budget only for its own id) and refuses an empty id', async () => {
    const h = harness(
      [
        { id: 'each', scope: 'session', maxUsd: 1 },
        { id: 'vip', scope: 'session', key: 'S-vip', maxUsd: 5 },
        { id: 'tasks', scope: 'task', maxUsd: 1 },
      ],
      Date.UTC(2026, 2, 10),
    );
    expect((await h.engine.resets.session('S-1', '  ')).budgetIds).toEqual(['each']);
    expect(await h.engine.resets.session('S-vip', 'bob')).toMatchObject({ actor: 'bob', budgetIds: ['each', 'vip'] });
    await expect(h.engine.resets.session('')).rejects.toThrow('a session reset needs the session id (a non-empty string); got ""');
    expect((await h.engine.resets.list()).map((r) => [r.target, r.actor])).toEqual([
      ['session:S-vip', 'bob'],
      ['session:S-1', 'api'],
    ]);
  });
});
