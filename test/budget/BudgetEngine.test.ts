import { describe, expect, it } from 'vitest';
import type { BudgetScope } from '../../src/core/Budget.js';
import { BudgetConfigError } from '../../src/core/BudgetConfigError.js';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { Admission } from '../../src/budget/BudgetEngine.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { LedgerUnavailableError } from '../../src/core/LedgerUnavailableError.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { USD, asyncLedger, call, harness, usage } from './engineHarness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-03-10T12:00:00.000Z */
const NOON = Date.UTC(2026, 2, 10, 12);

/** Runs `fn` and returns what it threw (failing the test when it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a throw');
}

function admitSync(h: ReturnType<typeof harness>, req: ReturnType<typeof call>): Admission {
  const result = h.engine.admit(req);
  expect(result).not.toBeInstanceOf(Promise);
  return result as Admission;
}

/** Admits and settles a call of `nanos` at the harness clock's time. */
function spender(h: ReturnType<typeof harness>): (nanos: number) => void {
  return (nanos) => {
    const a = admitSync(h, call(nanos));
    h.engine.settle(a, usage(a.id, nanos, h.clock.now));
  };
}

describe('BudgetEngine', () => {
  describe('synchronous and asynchronous ledgers', () => {
    it('answers synchronously on a synchronous ledger: admit returns the admission, a deny throws', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.6 * USD));
      expect(a).toMatchObject({ decision: 'allow', model: 'gpt-4o', requestedModel: 'gpt-4o', reservedNanos: 0.6 * USD });
      expect(a.buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10']);
      const err = thrown(() => h.engine.admit(call(0.6 * USD)));
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(h.engine.settle(a, usage(a.id, 0.3 * USD, NOON))).toBeUndefined();
    });

    it('returns promises on an asynchronous ledger, and rejects on deny', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: asyncLedger(new MemoryLedger()) });
      const pending = h.engine.admit(call(0.6 * USD));
      expect(pending).toBeInstanceOf(Promise);
      const a = await pending;
      expect(a.decision).toBe('allow');
      await expect(h.engine.admit(call(0.6 * USD))).rejects.toBeInstanceOf(BudgetExceededError);
      await h.engine.settle(a, usage(a.id, 0.3 * USD, NOON));
      const status = await h.engine.status();
      expect(status.map((s) => [s.spentUsd, s.reservedUsd])).toEqual([[0.3, 0]]);
    });
  });

  describe('deny', () => {
    it('throws BudgetExceededError with the exact numbers, and emits one budget_exceeded event', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.25 * USD));
      h.engine.settle(a, usage(a.id, 0.2 * USD, NOON));
      admitSync(h, call(0.5 * USD));
      const err = thrown(() => h.engine.admit(call(0.4 * USD, { model: 'gpt-4.1' })));
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect((err as BudgetExceededError).toJSON()).toMatchObject({
        budgetId: 'daily',
        scope: 'daily',
        key: 'global',
        spentUsd: 0.7,
        limitUsd: 1,
        attemptedUsd: 0.4,
        action: 'deny',
        model: 'gpt-4.1',
      });
      expect(h.exceeded).toEqual([
        { budgetId: 'daily', scope: 'daily', key: 'global', action: 'deny', spentUsd: 0.7, limitUsd: 1, attemptedUsd: 0.4, model: 'gpt-4.1', time: NOON },
      ]);
    });

    it('lets a call that fits exactly through', () => {
      const h = harness([{ scope: 'total', maxUsd: 1 }], NOON);
      admitSync(h, call(0.4 * USD));
      expect(admitSync(h, call(0.6 * USD)).decision).toBe('allow');
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    });

    it('reserves in every applicable budget or in none', () => {
      const h = harness([{ scope: 'daily', maxUsd: 10 }, { scope: 'task', maxUsd: 1 }], NOON);
      expect(() => h.engine.admit(call(2 * USD, { task: 'T-1' }))).toThrow(BudgetExceededError);
      const status = h.engine.status({ task: 'T-1' }) as Awaited<ReturnType<BudgetEngine['status']>>;
      expect(status.map((s) => [s.budget.id, s.key, s.reservedUsd])).toEqual([
        ['daily', 'global', 0],
        ['task', 'T-1', 0],
      ]);
    });
  });

  describe('scopes', () => {
    it('request: checks the call on its own and gives requestLimitNanos', () => {
      const h = harness([{ scope: 'request', maxUsd: 0.5 }], NOON);
      const a = admitSync(h, call(0.5 * USD));
      expect(a).toMatchObject({ decision: 'allow', requestLimitNanos: 0.5 * USD, reservedNanos: 0, buckets: [] });
      admitSync(h, call(0.5 * USD));
      const err = thrown(() => h.engine.admit(call(0.5 * USD + 1))) as BudgetExceededError;
      expect([err.scope, err.key.startsWith('call-'), err.spentUsd, err.attemptedUsd]).toEqual(['request', true, 0, 0.500000001]);
    });

    for (const scope of ['task', 'session', 'agent'] as const) {
      it(`${scope}: one counter per ${scope} id, only for calls that carry one`, () => {
        const h = harness([{ scope, maxUsd: 1 }], NOON);
        const a = admitSync(h, call(0.8 * USD, { [scope]: 'A' }));
        h.engine.settle(a, usage(a.id, 0.8 * USD, NOON, { [scope]: 'A' }));
        const err = thrown(() => h.engine.admit(call(0.3 * USD, { [scope]: 'A' }))) as BudgetExceededError;
        expect([err.scope, err.key, err.spentUsd]).toEqual([scope, 'A', 0.8]);
        expect(admitSync(h, call(0.9 * USD, { [scope]: 'B' })).buckets.map((b) => b.key)).toEqual([`${scope}|B|all`]);
        expect(admitSync(h, call(5 * USD)).buckets).toEqual([]);
        h.clock.advance(400 * DAY);
        expect(() => h.engine.admit(call(0.3 * USD, { [scope]: 'A' }))).toThrow(BudgetExceededError);
      });
    }

    it('key: a per-id budget with a key applies to that id only', () => {
      const h = harness([{ scope: 'task', key: 'T-big', maxUsd: 1 }], NOON);
      expect(h.engine.list()[0]?.id).toBe('task:key=T-big');
      expect(() => h.engine.admit(call(2 * USD, { task: 'T-big' }))).toThrow(BudgetExceededError);
      expect(admitSync(h, call(2 * USD, { task: 'T-small' })).buckets).toEqual([]);
    });

    it('total: never resets', () => {
      const h = harness([{ scope: 'total', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(USD));
      h.engine.settle(a, usage(a.id, USD, NOON));
      h.clock.advance(1_000 * DAY);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    });

    it('provider and model filters: a budget counts only matching calls', () => {
      const h = harness(
        [
          { scope: 'daily', maxUsd: 1, model: 'gpt-4o' },
          { scope: 'daily', maxUsd: 2, provider: 'anthropic' },
        ],
        NOON,
      );
      expect(h.engine.list().map((b) => b.id)).toEqual(['daily:model=gpt-4o', 'daily:provider=anthropic']);
      expect(() => h.engine.admit(call(1.5 * USD))).toThrow(BudgetExceededError);
      expect(admitSync(h, call(1.5 * USD, { model: 'gpt-4o-mini' })).buckets).toEqual([]);
      const a = admitSync(h, call(1.5 * USD, { provider: 'anthropic', model: 'claude-sonnet-4' }));
      expect(a.buckets.map((b) => b.key)).toEqual(['daily%3Aprovider%3Danthropic|global|2026-03-10']);
    });
  });

  describe('windows', () => {
    it('daily calendar: resets at 00:00:00.000 UTC, not a millisecond before', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], Date.UTC(2026, 2, 10, 23, 59, 59, 999));
      const a = admitSync(h, call(USD));
      h.engine.settle(a, usage(a.id, USD, h.clock.now));
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.set(Date.UTC(2026, 2, 11));
      const b = admitSync(h, call(USD));
      expect(b.buckets.map((x) => [x.key, x.expiresAt])).toEqual([['daily|global|2026-03-11', Date.UTC(2026, 2, 12)]]);
    });

    it('monthly calendar: resets on the 1st at 00:00 UTC', () => {
      const h = harness([{ scope: 'monthly', maxUsd: 1 }], Date.UTC(2026, 2, 31, 23, 59, 59, 999));
      const a = admitSync(h, call(USD));
      h.engine.settle(a, usage(a.id, USD, h.clock.now));
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.set(Date.UTC(2026, 3, 1));
      expect(admitSync(h, call(USD)).buckets.map((x) => x.key)).toEqual(['monthly|global|2026-04']);
    });

    it('daily rolling: spend leaves the window exactly 24 h after it was settled', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, window: 'rolling' }], NOON);
      const a = admitSync(h, call(0.7 * USD));
      h.engine.settle(a, usage(a.id, 0.7 * USD, NOON));
      h.clock.set(NOON + 6 * HOUR);
      const b = admitSync(h, call(0.3 * USD));
      h.engine.settle(b, usage(b.id, 0.3 * USD, NOON + 6 * HOUR));
      h.clock.set(NOON + DAY - 1);
      expect(() => h.engine.admit(call(0.7 * USD))).toThrow(BudgetExceededError);
      h.clock.set(NOON + DAY);
      expect(admitSync(h, call(0.7 * USD)).decision).toBe('allow');
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    });

    it('monthly rolling: a 30-day window', () => {
      const h = harness([{ scope: 'monthly', maxUsd: 1, window: 'rolling' }], NOON);
      const a = admitSync(h, call(USD));
      h.engine.settle(a, usage(a.id, USD, NOON));
      h.clock.set(NOON + 30 * DAY - 1);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.set(NOON + 30 * DAY);
      expect(admitSync(h, call(USD)).buckets[0]?.rollingMs).toBe(30 * DAY);
    });

    it('an unsettled reservation stops counting after reservationTtlMs', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { reservationTtlMs: 60_000 });
      admitSync(h, call(USD));
      h.clock.advance(59_999);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.advance(1);
      expect(admitSync(h, call(USD)).decision).toBe('allow');
    });
  });

  describe('warn', () => {
    it('allows the call, keeps counting, and emits one budget_exceeded event with action warn per call', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'warn' }], NOON);
      const a = admitSync(h, call(0.8 * USD));
      expect(a.decision).toBe('allow');
      h.engine.settle(a, usage(a.id, 0.8 * USD, NOON));
      const b = admitSync(h, call(0.5 * USD));
      expect(b).toMatchObject({ decision: 'warn', model: 'gpt-4o', reservedNanos: 0.5 * USD });
      expect(h.exceeded).toEqual([
        { budgetId: 'daily:onExceed=warn', scope: 'daily', key: 'global', action: 'warn', spentUsd: 0.8, limitUsd: 1, attemptedUsd: 0.5, model: 'gpt-4o', time: NOON },
      ]);
      h.engine.settle(b, usage(b.id, 0.5 * USD, NOON));
      expect((h.engine.status() as Awaited<ReturnType<BudgetEngine['status']>>)[0]).toMatchObject({ spentUsd: 1.3, remainingUsd: 0 });
    });
  });

  describe('fallback', () => {
    const prices = { 'gpt-4o': 0.8 * USD, 'gpt-4o-mini': 0.1 * USD };

    it('re-routes to fallbackModel and reserves its estimate', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON);
      const first = admitSync(h, call(0, {}, prices));
      h.engine.settle(first, usage(first.id, 0.5 * USD, NOON));
      const a = admitSync(h, call(0, {}, prices));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', requestedModel: 'gpt-4o', reservedNanos: 0.1 * USD });
      expect(h.exceeded).toEqual([
        {
          budgetId: 'daily:onExceed=fallback', scope: 'daily', key: 'global', action: 'fallback', spentUsd: 0.5, limitUsd: 1,
          attemptedUsd: 0.8, model: 'gpt-4o', fallbackModel: 'gpt-4o-mini', time: NOON,
        },
      ]);
    });

    it('denies when even the fallback model does not fit', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON);
      const first = admitSync(h, call(0, {}, prices));
      h.engine.settle(first, usage(first.id, 0.95 * USD, NOON));
      const err = thrown(() => h.engine.admit(call(0, {}, prices))) as BudgetExceededError;
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect([err.action, err.model, err.spentUsd, err.attemptedUsd]).toEqual(['fallback', 'gpt-4o-mini', 0.95, 0.1]);
      expect(h.exceeded.map((e) => e.action)).toEqual(['deny']);
    });

    it('a model-filtered fallback budget does not count the fallback model', () => {
      const h = harness([{ scope: 'task', model: 'gpt-4o', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON);
      const a = admitSync(h, call(0, { task: 'T-1' }, prices));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', buckets: [] });
    });

    it('a request budget can fall back too, and its limit becomes requestLimitNanos', () => {
      const h = harness([{ scope: 'request', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON);
      const a = admitSync(h, call(0, {}, prices));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', requestLimitNanos: 0.5 * USD, reservedNanos: 0 });
    });

    it('rounds a fractional estimate up to whole nanos', () => {
      const h = harness([{ scope: 'total', maxUsd: 1 }], NOON);
      expect(admitSync(h, call(0.25 * USD + 0.2)).reservedNanos).toBe(0.25 * USD + 1);
    });

    it('a deny budget that does not fit wins over a fallback budget', () => {
      const h = harness(
        [
          { scope: 'daily', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' },
          { scope: 'task', maxUsd: 0.5 },
        ],
        NOON,
      );
      const err = thrown(() => h.engine.admit(call(0, { task: 'T-1' }, prices))) as BudgetExceededError;
      expect([err.budgetId, err.action]).toEqual(['task', 'deny']);
    });
  });

  describe('thresholds', () => {
    it('fire once per budget, key and window, crossed by settled spend', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const spend = spender(h);
      spend(0.4 * USD);
      expect(h.thresholds).toEqual([]);
      spend(0.1 * USD);
      spend(0.1 * USD);
      spend(0.25 * USD);
      spend(0.05 * USD);
      spend(0.1 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd])).toEqual([
        [0.5, 0.5],
        [0.8, 0.85],
        [1, 1],
      ]);
      expect(h.thresholds[0]).toEqual({ budgetId: 'daily', scope: 'daily', key: 'global', threshold: 0.5, spentUsd: 0.5, limitUsd: 1, time: NOON });
      h.clock.set(Date.UTC(2026, 2, 11, 1));
      spend(0.6 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.time])).toEqual([
        [0.5, NOON],
        [0.8, NOON],
        [1, NOON],
        [0.5, Date.UTC(2026, 2, 11, 1)],
      ]);
    });

    it('re-check a budget replaced at run time against its new limit and thresholds', () => {
      const h = harness([{ id: 'daily', scope: 'daily', maxUsd: 1, thresholds: [0.8] }], NOON);
      const spend = spender(h);
      spend(0.5 * USD);
      expect(h.thresholds).toEqual([]);
      // Same id, same counter, a lower limit: the spend already past 80 % of it is announced at the next settle.
      h.engine.add({ id: 'daily', scope: 'daily', maxUsd: 0.6, thresholds: [0.8, 0.9] });
      spend(0.01 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd, t.limitUsd])).toEqual([
        [0.8, 0.51, 0.6],
      ]);
      spend(0.03 * USD);
      expect(h.thresholds.map((t) => t.threshold)).toEqual([0.8, 0.9]);
    });

    it('re-arm on a rolling window when spend falls back under a threshold', () => {
      const h = harness([{ scope: 'daily', window: 'rolling', maxUsd: 1, thresholds: [0.5] }], NOON);
      const spend = spender(h);
      spend(0.6 * USD);
      h.clock.advance(25 * HOUR); // the 0.6 left the window
      spend(0.1 * USD);
      spend(0.45 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd])).toEqual([
        [0.5, 0.6],
        [0.5, 0.55],
      ]);
    });

    it('fire separately per task, with custom thresholds', () => {
      const h = harness([{ scope: 'task', maxUsd: 1, thresholds: [0.9] }], NOON);
      for (const task of ['A', 'B', 'A']) {
        const a = admitSync(h, call(0.5 * USD, { task }));
        h.engine.settle(a, usage(a.id, 0.5 * USD, NOON, { task }));
      }
      expect(h.thresholds.map((t) => [t.key, t.threshold, t.spentUsd])).toEqual([['A', 0.9, 1]]);
    });
  });

  describe('settle and release', () => {
    it('settles a record without an admission into the buckets its context maps to', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }, { scope: 'task', maxUsd: 1 }], NOON);
      h.engine.settle(undefined, usage('r1', 0.3 * USD, NOON, { task: 'T-1' }));
      const status = h.engine.status() as Awaited<ReturnType<BudgetEngine['status']>>;
      expect(status.map((s) => [s.budget.id, s.key, s.spentUsd])).toEqual([
        ['daily', 'global', 0.3],
        ['task', 'T-1', 0.3],
      ]);
    });

    it('releases the unspent part of the reservation on settle, and all of it on release', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.6 * USD));
      const b = admitSync(h, call(0.4 * USD));
      h.engine.settle(a, usage(a.id, 0.1 * USD, NOON));
      h.engine.release(b);
      expect((h.engine.status() as Awaited<ReturnType<BudgetEngine['status']>>)[0]).toMatchObject({
        key: 'global', spentUsd: 0.1, reservedUsd: 0, limitUsd: 1, remainingUsd: 0.9,
        windowStart: Date.UTC(2026, 2, 10), windowEnd: Date.UTC(2026, 2, 11),
      });
    });
  });

  describe('ledger failures', () => {
    function brokenLedger(): Ledger {
      const ledger = new MemoryLedger();
      ledger.reserve = () => {
        throw new Error('disk I/O error');
      };
      return ledger;
    }

    it("failMode 'open' (default): admits unbudgeted and counts the error", () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger() });
      const a = admitSync(h, call(5 * USD));
      expect(a).toMatchObject({ decision: 'allow', reservedNanos: 0 });
      expect(h.engine.errorCount).toBe(1);
    });

    it("failMode 'closed': refuses with LedgerUnavailableError", () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger(), failMode: 'closed' });
      const err = thrown(() => h.engine.admit(call(1)));
      expect(err).toBeInstanceOf(LedgerUnavailableError);
      expect((err as Error).message).toContain('disk I/O error');
      expect(h.engine.errorCount).toBe(1);
    });

    it('rejects (async ledger) with LedgerUnavailableError under failMode closed', async () => {
      const inner = brokenLedger();
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: asyncLedger(inner), failMode: 'closed' });
      await expect(h.engine.admit(call(1))).rejects.toBeInstanceOf(LedgerUnavailableError);
    });
  });

  describe('runtime budgets', () => {
    it('adds, lists, persists through the ledger, and removes', async () => {
      const ledger = new MemoryLedger();
      const h = harness([{ scope: 'daily', maxUsd: 20 }], NOON, { ledger });
      const added = await h.engine.add({ scope: 'task', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' });
      expect(added).toEqual({
        id: 'task:onExceed=fallback', scope: 'task', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini',
        window: 'calendar', thresholds: [0.5, 0.8, 1],
      });
      expect(h.engine.list().map((b) => b.id)).toEqual(['daily', 'task:onExceed=fallback']);

      const restarted = new BudgetEngine({ ledger, budgets: [{ scope: 'daily', maxUsd: 20 }] });
      await restarted.load();
      expect(restarted.list()).toEqual(h.engine.list());

      expect(await h.engine.remove('task:onExceed=fallback')).toBe(true);
      expect(await h.engine.remove('task:onExceed=fallback')).toBe(false);
      expect(ledger.listBudgets()).toEqual([]);
    });

    it('throws BudgetConfigError naming the field', () => {
      const h = harness([], NOON);
      const field = (spec: unknown) => (thrown(() => h.engine.add(spec as never)) as BudgetConfigError).field;
      expect(field({ scope: 'weekly', maxUsd: 1 })).toBe('budget.scope');
      expect(field({ scope: 'daily', maxUsd: -1 })).toBe('budget.maxUsd');
      expect(field({ scope: 'daily', maxUsd: 1, onExceed: 'fallback' })).toBe('budget.fallbackModel');
      expect(field({ scope: 'daily', maxUsd: 1, window: 'weekly' })).toBe('budget.window');
      expect(field({ scope: 'daily', maxUsd: 1, thresholds: [0] })).toBe('budget.thresholds');
      expect(() => new BudgetEngine({ ledger: new MemoryLedger(), budgets: [{ scope: 'daily', maxUsd: 1 }, { scope: 'daily', maxUsd: 2 }] })).toThrow(
        /budgets\[1\]\.id/,
      );
      expect(() => new BudgetEngine({ ledger: new MemoryLedger(), failMode: 'maybe' as never })).toThrow(BudgetConfigError);
    });
  });

  describe('status', () => {
    it('reports per-id budgets for the ids asked for, or the ones seen', () => {
      const h = harness([{ scope: 'task', maxUsd: 2 }, { scope: 'request', maxUsd: 1 }], NOON);
      for (const task of ['A', 'B']) {
        const a = admitSync(h, call(0.5 * USD, { task }));
        h.engine.settle(a, usage(a.id, 0.25 * USD, NOON, { task }));
      }
      const all = h.engine.status() as Awaited<ReturnType<BudgetEngine['status']>>;
      expect(all.map((s) => [s.key, s.spentUsd, s.remainingUsd])).toEqual([
        ['A', 0.25, 1.75],
        ['B', 0.25, 1.75],
      ]);
      const one = h.engine.status({ task: 'C' }) as Awaited<ReturnType<BudgetEngine['status']>>;
      expect(one.map((s) => [s.key, s.spentUsd])).toEqual([['C', 0]]);
    });
  });

  it('exposes every scope', () => {
    const scopes: BudgetScope[] = ['request', 'task', 'session', 'agent', 'daily', 'monthly', 'total'];
    const h = harness(scopes.map((scope) => ({ scope, maxUsd: 1 })), NOON);
    const a = admitSync(h, call(0.1 * USD, { task: 't', session: 's', agent: 'g' }));
    expect(a.buckets.map((b) => b.key)).toEqual([
      'task|t|all',
      'session|s|all',
      'agent|g|all',
      'daily|global|2026-03-10',
      'monthly|global|2026-03',
      'total|global|all',
    ]);
    expect(a.requestLimitNanos).toBe(USD);
  });
});
