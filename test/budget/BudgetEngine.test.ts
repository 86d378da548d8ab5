import { describe, expect, it } from 'vitest';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { Admission, CallRequest, SettledCall } from '../../src/budget/CallTypes.js';
import type { BudgetScope } from '../../src/core/Budget.js';
import { BudgetConfigError } from '../../src/core/BudgetConfigError.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { LedgerUnavailableError } from '../../src/core/LedgerUnavailableError.js';
import { UnknownModelError } from '../../src/core/UnknownModelError.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { USD, asyncLedger, call, finished, harness, linearPricer, openCall, spend } from './engineHarness.js';
import type { Harness } from './engineHarness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-03-10T12:00:00.000Z */
const NOON = Date.UTC(2026, 2, 10, 12);
/** A limit of `n` nano-USD, as maxUsd. */
const nanos = (n: number): number => n / USD;

/** Runs `fn` and returns what it threw (failing the test when it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a throw');
}

/** What `promise` rejected with (failing the test when it resolved). */
async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a rejection');
}

function admitSync(h: Harness, req: CallRequest): Admission {
  const result = h.engine.admit(req);
  expect(result).not.toBeInstanceOf(Promise);
  return result as Admission;
}

/** Admits and settles calls of `amounts` nanos one after the other, waiting for each settlement. */
async function spendAll(h: Harness, ...amounts: number[]): Promise<void> {
  for (const amount of amounts) {
    spend(h, amount);
    await h.engine.forceFlush();
  }
}

async function status(h: Harness, filter: Parameters<BudgetEngine['status']>[0] = {}): Promise<[string, string, number, number][]> {
  return (await h.engine.status(filter)).map((s) => [s.budget.id, s.key, s.spentUsd, s.reservedUsd]);
}

function problemsOf(h: Harness, kind: string): string[] {
  return h.problemLines.filter((line) => line.startsWith(`tollgate [${kind}]`));
}

describe('BudgetEngine', () => {
  describe('construction', () => {
    it('needs a ledger and a pricer, and names a wrong option', () => {
      const ledger = new MemoryLedger();
      const pricer = linearPricer();
      const field = (fn: () => unknown) => (thrown(fn) as BudgetConfigError).field;
      expect(field(() => new BudgetEngine({ pricer } as never))).toBe('ledger');
      expect(field(() => new BudgetEngine({ ledger } as never))).toBe('pricer');
      expect(field(() => new BudgetEngine({ ledger, pricer, failMode: 'maybe' as never }))).toBe('failMode');
      expect(field(() => new BudgetEngine({ ledger, pricer, inputMargin: -0.1 }))).toBe('inputMargin');
      expect(field(() => new BudgetEngine({ ledger, pricer, defaultMaxOutputTokens: 0 }))).toBe('defaultMaxOutputTokens');
      expect(field(() => new BudgetEngine({ ledger, pricer, minOutputTokens: Number.NaN }))).toBe('minOutputTokens');
      expect(field(() => new BudgetEngine({ ledger, pricer, reservationTtlMs: -1 }))).toBe('reservationTtlMs');
      expect(() => new BudgetEngine({ ledger, pricer, budgets: [{ scope: 'daily', maxUsd: 1 }, { scope: 'daily', maxUsd: 2 }] })).toThrow(/budgets\[1\]\.id/);
    });
  });

  describe('synchronous and asynchronous ledgers', () => {
    it('answers synchronously on a synchronous ledger: admit returns the admission, a deny throws, finish prices at once', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.6 * USD));
      expect(a).toMatchObject({ decision: 'allow', model: 'gpt-4o', requestedModel: 'gpt-4o', reservedNanos: 0.6 * USD, estimateNanos: 0.6 * USD });
      expect(a.buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10']);
      const err = thrown(() => h.engine.admit(call(0.6 * USD)));
      expect(err).toBeInstanceOf(BudgetExceededError);
      const settled = h.engine.finish(a, finished(a.id, 0.3 * USD));
      expect([settled.record.costNanos, settled.costSource, settled.reservedNanos, settled.shortfallNanos]).toEqual([0.3 * USD, 'computed', 0.6 * USD, 0]);
      // A synchronous store holds the settlement before its promise resolves: the next admission sees it.
      expect(admitSync(h, call(0.7 * USD)).decision).toBe('allow');
      await h.engine.forceFlush();
    });

    it('returns promises on an asynchronous ledger, and rejects on deny', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: asyncLedger(new MemoryLedger()) });
      const pending = h.engine.admit(call(0.6 * USD));
      expect(pending).toBeInstanceOf(Promise);
      const a = await pending;
      expect(a.decision).toBe('allow');
      await expect(h.engine.admit(call(0.6 * USD))).rejects.toBeInstanceOf(BudgetExceededError);
      await h.engine.settle(h.engine.account(a, finished(a.id, 0.3 * USD)), a);
      expect(await status(h)).toEqual([['daily', 'global', 0.3, 0]]);
    });
  });

  describe('deny', () => {
    it('throws BudgetExceededError with the exact numbers, and emits one budget_exceeded event', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.25 * USD));
      h.engine.finish(a, finished(a.id, 0.2 * USD));
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

    it('records the refusal in the ledger as a denied call that cost nothing', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const req = call(2 * USD, { task: 'T-1', traceId: 'trace-1' });
      expect(() => h.engine.admit(req)).toThrow(BudgetExceededError);
      await h.engine.forceFlush();
      const [record] = await h.ledger.records({});
      expect(record).toMatchObject({
        id: req.id,
        status: 'denied',
        model: 'gpt-4o',
        task: 'T-1',
        traceId: 'trace-1',
        costNanos: 0,
        inputTokens: 0,
        outputTokens: 0,
        metadata: { errorType: 'BudgetExceededError' },
      });
      expect(await status(h)).toEqual([['daily', 'global', 0, 0]]);
    });

    it('lets a call that fits exactly through', () => {
      const h = harness([{ scope: 'total', maxUsd: 1 }], NOON);
      admitSync(h, call(0.4 * USD));
      expect(admitSync(h, call(0.6 * USD)).decision).toBe('allow');
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    });

    it('reserves in every applicable budget or in none', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 10 }, { scope: 'task', maxUsd: 1 }], NOON);
      expect(() => h.engine.admit(call(2 * USD, { task: 'T-1' }))).toThrow(BudgetExceededError);
      expect(await status(h, { task: 'T-1' })).toEqual([
        ['daily', 'global', 0, 0],
        ['task', 'T-1', 0, 0],
      ]);
    });
  });

  describe('scopes', () => {
    it('request: checks the call on its own and gives requestLimitNanos', () => {
      const h = harness([{ scope: 'request', maxUsd: 0.5 }], NOON);
      const a = admitSync(h, call(0.5 * USD));
      expect(a).toMatchObject({ decision: 'allow', requestLimitNanos: 0.5 * USD, reservedNanos: 0, estimateNanos: 0.5 * USD, buckets: [] });
      admitSync(h, call(0.5 * USD));
      const req = call(0.5 * USD + 1);
      const err = thrown(() => h.engine.admit(req)) as BudgetExceededError;
      expect([err.scope, err.key, err.spentUsd, err.attemptedUsd]).toEqual(['request', req.id, 0, 0.500000001]);
    });

    for (const scope of ['task', 'session', 'agent'] as const) {
      it(`${scope}: one counter per ${scope} id, only for calls that carry one`, () => {
        const h = harness([{ scope, maxUsd: 1 }], NOON);
        spend(h, 0.8 * USD, { [scope]: 'A' });
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
      spend(h, USD);
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
    it('daily calendar: resets at 00:00 UTC', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], Date.UTC(2026, 2, 10, 23, 59, 59, 999));
      spend(h, USD);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.set(Date.UTC(2026, 2, 11));
      const b = admitSync(h, call(USD));
      expect(b.buckets.map((x) => [x.key, x.expiresAt])).toEqual([['daily|global|2026-03-11', Date.UTC(2026, 2, 12)]]);
    });

    it('monthly calendar: resets on the 1st at 00:00 UTC', () => {
      const h = harness([{ scope: 'monthly', maxUsd: 1 }], Date.UTC(2026, 2, 31, 23, 59, 59, 999));
      spend(h, USD);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
      h.clock.set(Date.UTC(2026, 3, 1));
      expect(admitSync(h, call(USD)).buckets.map((x) => x.key)).toEqual(['monthly|global|2026-04']);
    });

    it('daily rolling: spend leaves the window exactly 24 h after it was settled', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, window: 'rolling' }], NOON);
      spend(h, 0.7 * USD);
      h.clock.set(NOON + 6 * HOUR);
      spend(h, 0.3 * USD);
      h.clock.set(NOON + DAY - 1);
      expect(() => h.engine.admit(call(0.7 * USD))).toThrow(BudgetExceededError);
      h.clock.set(NOON + DAY);
      expect(admitSync(h, call(0.7 * USD)).decision).toBe('allow');
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    });

    it('monthly rolling: a 30-day window', () => {
      const h = harness([{ scope: 'monthly', maxUsd: 1, window: 'rolling' }], NOON);
      spend(h, USD);
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
    it('allows the call, keeps counting, and emits one budget_exceeded event with action warn per call', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'warn' }], NOON);
      const a = admitSync(h, call(0.8 * USD));
      expect(a).toMatchObject({ decision: 'allow', enforced: false });
      h.engine.finish(a, finished(a.id, 0.8 * USD));
      const b = admitSync(h, call(0.5 * USD));
      expect(b).toMatchObject({ decision: 'warn', model: 'gpt-4o', reservedNanos: 0.5 * USD });
      expect(h.exceeded).toEqual([
        { budgetId: 'daily:onExceed=warn', scope: 'daily', key: 'global', action: 'warn', spentUsd: 0.8, limitUsd: 1, attemptedUsd: 0.5, model: 'gpt-4o', time: NOON },
      ]);
      const settled = h.engine.finish(b, finished(b.id, 0.5 * USD));
      expect(settled.record.metadata).toEqual({ decision: 'warn' });
      expect((await h.engine.status())[0]).toMatchObject({ spentUsd: 1.3, remainingUsd: 0 });
    });
  });

  describe('fallback', () => {
    /** gpt-4o costs eight times gpt-4o-mini: a call of 0.1 USD of input is $0.80 on gpt-4o, $0.10 on the fallback. */
    const pricer = linearPricer({ 'gpt-4o': 8 });
    const fallbackDaily = { scope: 'daily', maxUsd: 1, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' } as const;

    it('re-routes to fallbackModel and reserves its estimate', () => {
      const h = harness([fallbackDaily], NOON, { pricer });
      const first = admitSync(h, call(0.1 * USD));
      expect(first).toMatchObject({ decision: 'allow', model: 'gpt-4o', reservedNanos: 0.8 * USD });
      h.engine.finish(first, finished(first.id, 0, { usage: { input: 0.5 * USD / 8, output: 0 } }));
      const a = admitSync(h, call(0.1 * USD));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', requestedModel: 'gpt-4o', reservedNanos: 0.1 * USD });
      expect(h.exceeded).toEqual([
        {
          budgetId: 'daily:onExceed=fallback', scope: 'daily', key: 'global', action: 'fallback', spentUsd: 0.5, limitUsd: 1,
          attemptedUsd: 0.8, model: 'gpt-4o', fallbackModel: 'gpt-4o-mini', time: NOON,
        },
      ]);
      const settled = h.engine.finish(a, finished(a.id, 0.05 * USD, { model: 'gpt-4o' }));
      expect([settled.record.model, settled.record.costNanos, settled.record.metadata]).toEqual([
        'gpt-4o-mini',
        0.05 * USD,
        { requestedModel: 'gpt-4o', decision: 'fallback' },
      ]);
    });

    it('denies when even the fallback model does not fit', () => {
      const h = harness([fallbackDaily], NOON, { pricer });
      h.engine.finish(undefined, finished('earlier', 0.95 * USD, { model: 'gpt-4o-mini' }));
      const err = thrown(() => h.engine.admit(call(0.1 * USD))) as BudgetExceededError;
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect([err.action, err.model, err.spentUsd, err.attemptedUsd]).toEqual(['fallback', 'gpt-4o-mini', 0.95, 0.1]);
      expect(h.exceeded.map((e) => e.action)).toEqual(['deny']);
    });

    it('a model-filtered fallback budget does not count the fallback model', () => {
      const h = harness([{ scope: 'task', model: 'gpt-4o', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON, { pricer });
      const a = admitSync(h, call(0.1 * USD, { task: 'T-1' }));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', buckets: [] });
    });

    it('a request budget can fall back too, and its limit becomes requestLimitNanos', () => {
      const h = harness([{ scope: 'request', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], NOON, { pricer });
      const a = admitSync(h, call(0.1 * USD));
      expect(a).toMatchObject({ decision: 'fallback', model: 'gpt-4o-mini', requestLimitNanos: 0.5 * USD, reservedNanos: 0, estimateNanos: 0.1 * USD });
    });

    it('a deny budget that does not fit wins over a fallback budget', () => {
      const h = harness([{ ...fallbackDaily, maxUsd: 0.5 }, { scope: 'task', maxUsd: 0.5 }], NOON, { pricer });
      const err = thrown(() => h.engine.admit(call(0.1 * USD, { task: 'T-1' }))) as BudgetExceededError;
      expect([err.budgetId, err.action]).toEqual(['task', 'deny']);
    });
  });

  it('rounds a fractional estimate up to whole nanos', () => {
    const h = harness([{ scope: 'total', maxUsd: 1 }], NOON, { pricer: linearPricer({ half: 0.5 }) });
    expect(admitSync(h, call(0.5 * USD + 1, { model: 'half' })).reservedNanos).toBe(0.25 * USD + 1);
  });

  describe('an output limit chosen to fit', () => {
    // Test prices: 1 nano per input token, 2 per output token; the default output is 4096 tokens.
    // 1,000 input tokens with the default output cost 9,192 nanos.

    it('a call without an output limit that does not fit a daily deny cap gets the largest output that fits', async () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON);
      const a = admitSync(h, openCall(1_000));
      // 1,000 + 2 × 2,000 = 5,000 fits 5,001; 2,001 output tokens would cost 5,002.
      expect(a).toMatchObject({ decision: 'allow', outputLimit: 2_000, outputTokens: 2_000, estimateNanos: 5_000, reservedNanos: 5_000, enforced: true });
      expect(h.exceeded).toEqual([]);
      expect(await status(h)).toEqual([['daily', 'global', 0, 5_000 / USD]]);
      expect(() => h.engine.admit(openCall(1))).toThrow(BudgetExceededError);
    });

    it('fits the room left after earlier spend, exactly', async () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON);
      await spendAll(h, 3_000);
      // 2,001 left: 1,000 input + 2 × 500 output.
      expect(admitSync(h, openCall(1_000))).toMatchObject({ outputLimit: 500, estimateNanos: 2_000, reservedNanos: 2_000 });
    });

    it('sets the limit the reservation covers even when the default fits', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      expect(admitSync(h, openCall(1_000))).toMatchObject({ outputLimit: 4_096, outputTokens: 4_096, estimateNanos: 9_192 });
      const small = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { defaultMaxOutputTokens: 100 });
      expect(admitSync(small, openCall(1_000))).toMatchObject({ outputLimit: 100, estimateNanos: 1_200 });
    });

    it('denies when fewer than minOutputTokens (default 16) fit, and records the refusal', async () => {
      const fits16 = harness([{ scope: 'daily', maxUsd: nanos(1_032) }], NOON);
      expect(admitSync(fits16, openCall(1_000)).outputLimit).toBe(16);
      const fits15 = harness([{ scope: 'daily', maxUsd: nanos(1_031) }], NOON);
      const req = openCall(1_000);
      const err = thrown(() => fits15.engine.admit(req)) as BudgetExceededError;
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect([err.budgetId, err.attemptedUsd]).toEqual(['daily', 9_192 / USD]);
      await fits15.engine.forceFlush();
      expect((await fits15.ledger.records({})).map((r) => [r.id, r.status])).toEqual([[req.id, 'denied']]);
      const fussy = harness([{ scope: 'daily', maxUsd: nanos(1_032) }], NOON, { minOutputTokens: 100 });
      expect(() => fussy.engine.admit(openCall(1_000))).toThrow(BudgetExceededError);
    });

    it('does not shrink an output limit the caller set', () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON);
      expect(() => h.engine.admit(openCall(1_000, { maxOutputTokens: 4_096 }))).toThrow(BudgetExceededError);
      const a = admitSync(h, openCall(1_000, { maxOutputTokens: 2_000 }));
      expect(a).toMatchObject({ outputTokens: 2_000, estimateNanos: 5_000 });
      expect(a.outputLimit).toBeUndefined();
    });

    it('chooses none when no deny or fallback budget applies', () => {
      const none = harness([], NOON);
      const a = admitSync(none, openCall(1_000));
      expect(a).toMatchObject({ outputTokens: 4_096, estimateNanos: 9_192, reservedNanos: 0, enforced: false });
      expect(a.outputLimit).toBeUndefined();
      const warnOnly = harness([{ scope: 'daily', maxUsd: nanos(5_001), onExceed: 'warn' }], NOON);
      const b = admitSync(warnOnly, openCall(1_000));
      expect(b).toMatchObject({ decision: 'warn', outputTokens: 4_096, reservedNanos: 9_192 });
      expect(b.outputLimit).toBeUndefined();
    });

    it('a request-scope budget shrinks it too', () => {
      const h = harness([{ scope: 'request', maxUsd: nanos(5_001) }], NOON);
      const a = admitSync(h, openCall(1_000));
      expect(a).toMatchObject({ outputLimit: 2_000, estimateNanos: 5_000, reservedNanos: 0, requestLimitNanos: 5_001 });
    });

    it('the tightest of a request budget and a ledger budget decides', () => {
      const h = harness([{ scope: 'request', maxUsd: nanos(5_001) }, { scope: 'daily', maxUsd: nanos(3_001) }], NOON);
      expect(admitSync(h, openCall(1_000))).toMatchObject({ outputLimit: 1_000, estimateNanos: 3_000, reservedNanos: 3_000, requestLimitNanos: 5_001 });
    });

    it('does not shrink when the output limit cannot be set on the request (the full default is reserved)', () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON);
      expect(() => h.engine.admit(openCall(1_000, { outputLimitSettable: false }))).toThrow(BudgetExceededError);
      const roomy = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(roomy, openCall(1_000, { outputLimitSettable: false }));
      expect(a).toMatchObject({ outputTokens: 4_096, estimateNanos: 9_192 });
      expect(a.outputLimit).toBeUndefined();
    });

    it('embeddings reserve no output', () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON);
      const a = admitSync(h, openCall(1_000, { operation: 'embeddings' }));
      expect(a).toMatchObject({ outputTokens: 0, estimateNanos: 1_000 });
      expect(a.outputLimit).toBeUndefined();
    });

    it('shrinks on an asynchronous ledger as well', async () => {
      const h = harness([{ scope: 'daily', maxUsd: nanos(5_001) }], NOON, { ledger: asyncLedger(new MemoryLedger()) });
      expect(await h.engine.admit(openCall(1_000))).toMatchObject({ outputLimit: 2_000, reservedNanos: 5_000 });
      await expect(h.engine.admit(openCall(1))).rejects.toBeInstanceOf(BudgetExceededError);
    });
  });

  describe('unpriced models', () => {
    // The ceiling price is ten times the test price: 10 nanos per input token, 20 per output token.

    it('under a deny budget: reserved and settled at the ceiling price, never $0, reported once', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(1_000, { model: 'unpriced-x' }));
      expect(a).toMatchObject({ price: 'ceiling', reservedNanos: 10_000, estimateNanos: 10_000, enforced: true });
      const settled = h.engine.finish(a, finished(a.id, 0, { model: 'unpriced-x', usage: { input: 1_000, output: 5 } }));
      expect([settled.record.costNanos, settled.costSource, settled.priceSource, settled.record.metadata]).toEqual([
        10_100,
        'ceiling',
        'ceiling',
        { costSource: 'ceiling' },
      ]);
      admitSync(h, call(1_000, { model: 'unpriced-x' }));
      await h.engine.forceFlush();
      expect(await status(h)).toEqual([['daily', 'global', 10_100 / USD, 10_000 / USD]]);
      const lines = problemsOf(h, 'unpriced_model');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"unpriced-x" (openai) has no price; under a deny budget it is reserved and charged at the ceiling price');
    });

    it("under unpricedUnderCap 'deny': refused with UnknownModelError and recorded as denied", async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { unpricedUnderCap: 'deny' });
      const req = call(1_000, { model: 'unpriced-x' });
      const err = thrown(() => h.engine.admit(req));
      expect(err).toBeInstanceOf(UnknownModelError);
      expect((err as Error).message).toContain('unpricedUnderCap');
      await h.engine.forceFlush();
      expect(await h.ledger.records({})).toMatchObject([
        { id: req.id, status: 'denied', model: 'unpriced-x', costNanos: 0, metadata: { errorType: 'UnknownModelError' } },
      ]);
      expect(await status(h)).toEqual([['daily', 'global', 0, 0]]);
    });

    it('with only warn budgets: costs $0, and is reported', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'warn' }], NOON);
      const a = admitSync(h, call(1_000, { model: 'unpriced-x' }));
      expect(a).toMatchObject({ price: 'unpriced', estimateNanos: 0, enforced: false });
      const settled = h.engine.finish(a, finished(a.id, 0, { model: 'unpriced-x', usage: { input: 1_000, output: 5 } }));
      expect([settled.record.costNanos, settled.costSource]).toEqual([0, 'unpriced']);
      await h.engine.forceFlush();
      expect(problemsOf(h, 'unpriced_model')).toEqual([expect.stringContaining('"unpriced-x" (openai) has no price and is charged $0')]);
    });

    it("under pricing policy unknownModel 'deny': refused always, and 'zero' is silent", async () => {
      const strict = harness([], NOON, { unknownModel: 'deny' });
      expect(() => strict.engine.admit(call(1_000, { model: 'unpriced-x' }))).toThrow(UnknownModelError);
      expect(admitSync(strict, call(1_000)).decision).toBe('allow');
      const zero = harness([], NOON, { unknownModel: 'zero' });
      expect(admitSync(zero, call(1_000, { model: 'unpriced-x' })).estimateNanos).toBe(0);
      await zero.engine.forceFlush();
      expect(zero.problemLines).toEqual([]);
    });
  });

  describe('overrun: the running cost of a stream against its reservation', () => {
    it('is undefined within the reservation, and names the tightest budget once the output passes it', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }, { scope: 'task', maxUsd: nanos(20_000) }], NOON);
      const a = admitSync(h, openCall(1_000, { task: 'T-1' }));
      expect(a).toMatchObject({ outputLimit: 4_096, estimateNanos: 9_192 });
      expect(h.engine.overrun(a, { input: 1_000, output: 10 })).toBeUndefined();
      expect(h.engine.overrun(a, { input: 1_000, output: 4_096 })).toBeUndefined();
      expect(h.exceeded).toEqual([]);
      const err = h.engine.overrun(a, { input: 1_000, output: 4_097 });
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err?.toJSON()).toMatchObject({
        budgetId: 'task',
        scope: 'task',
        key: 'T-1',
        limitUsd: 20_000 / USD,
        spentUsd: 9_192 / USD,
        attemptedUsd: 9_194 / USD,
        action: 'deny',
        model: 'gpt-4o',
      });
      expect(h.exceeded).toEqual([
        { budgetId: 'task', scope: 'task', key: 'T-1', action: 'deny', spentUsd: 9_192 / USD, limitUsd: 20_000 / USD, attemptedUsd: 9_194 / USD, model: 'gpt-4o', time: NOON },
      ]);
    });

    it('prices the running output from the input the reservation assumed', () => {
      const h = harness([{ scope: 'request', maxUsd: nanos(5_001) }], NOON);
      const a = admitSync(h, openCall(1_000));
      // Reported input is not what the stream is judged on: the reservation's 1,000 tokens are.
      expect(h.engine.overrun(a, { input: 0, output: 2_000 })).toBeUndefined();
      const err = h.engine.overrun(a, { input: 0, output: 2_001 });
      expect([err?.budgetId, err?.scope, err?.key, err?.limitUsd]).toEqual(['request', 'request', a.id, 5_001 / USD]);
    });

    it('judges an unpriced model at the ceiling price', () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(100, { model: 'unpriced-x', maxOutputTokens: 50 }));
      expect(a.estimateNanos).toBe(100 * 10 + 50 * 20);
      expect(h.engine.overrun(a, { input: 100, output: 50 })).toBeUndefined();
      expect(h.engine.overrun(a, { input: 100, output: 51 })).toBeInstanceOf(BudgetExceededError);
    });

    it('is undefined when no deny or fallback budget applies', () => {
      const warnOnly = harness([{ scope: 'daily', maxUsd: nanos(1), onExceed: 'warn' }], NOON);
      const a = admitSync(warnOnly, call(1_000));
      expect(warnOnly.engine.overrun(a, { input: 1_000, output: 1_000_000 })).toBeUndefined();
      const none = harness([], NOON);
      expect(none.engine.overrun(admitSync(none, call(1_000)), { input: 1_000, output: 1_000_000 })).toBeUndefined();
      expect([...warnOnly.exceeded, ...none.exceeded].filter((e) => e.action === 'deny')).toEqual([]);
    });
  });

  describe('shortfall and the learned input correction', () => {
    it('a settlement costing more than its reservation emits reservation_shortfall, reports it, and the next reservation uses the correction', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(100));
      expect([a.inputTokens, a.estimatedInputTokens, a.reservedNanos]).toEqual([100, 100, 100]);
      // The provider reports 50 times the estimated input (an image the estimator could not see).
      const settled = h.engine.finish(a, finished(a.id, 5_000));
      expect([settled.record.costNanos, settled.shortfallNanos]).toEqual([5_000, 4_900]);
      await h.engine.forceFlush();
      expect(h.shortfalls).toEqual([
        {
          callId: a.id,
          provider: 'openai',
          model: 'gpt-4o',
          estimatedInputTokens: 100,
          reservedInputTokens: 100,
          actualInputTokens: 5_000,
          reservedUsd: 100 / USD,
          actualUsd: 5_000 / USD,
          shortfallUsd: 4_900 / USD,
          time: NOON,
        },
      ]);
      expect(problemsOf(h, 'reservation_shortfall')).toEqual([expect.stringContaining('calls of "gpt-4o" (openai) cost more than their reservation')]);
      const next = admitSync(h, call(100));
      expect([next.inputTokens, next.estimatedInputTokens, next.reservedNanos]).toEqual([5_000, 100, 5_000]);
      // Learned per model: another model is not affected.
      expect(admitSync(h, call(100, { model: 'gpt-4o-mini' })).inputTokens).toBe(100);
    });

    it('inputMargin adds its share to every input estimate, on top of the correction', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { inputMargin: 0.2 });
      const a = admitSync(h, call(100));
      expect([a.inputTokens, a.estimatedInputTokens, a.reservedNanos]).toEqual([120, 100, 120]);
      h.engine.finish(a, finished(a.id, 5_000));
      await h.engine.forceFlush();
      expect(h.shortfalls.map((s) => [s.estimatedInputTokens, s.reservedInputTokens, s.actualInputTokens])).toEqual([[100, 120, 5_000]]);
      expect(admitSync(h, call(100)).inputTokens).toBe(6_000);
    });

    it('a call that cost less than its reservation neither emits nor lowers the correction below 1', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(100));
      h.engine.finish(a, finished(a.id, 10));
      await h.engine.forceFlush();
      expect(h.shortfalls).toEqual([]);
      expect(problemsOf(h, 'reservation_shortfall')).toEqual([]);
      expect(admitSync(h, call(100)).inputTokens).toBe(100);
    });

    it('learns nothing from a call whose usage was estimated, nor from a denied one', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { inputMargin: 0.2 });
      for (let i = 0; i < 3; i++) {
        const a = admitSync(h, call(100));
        h.engine.finish(a, { ...finished(a.id, 0), usage: undefined, usageSource: 'none' });
        await h.engine.forceFlush();
      }
      for (let i = 0; i < 3; i++) {
        // The provider reported a cost but no token counts: the tokens on the record are the reservation's.
        const a = admitSync(h, call(100));
        h.engine.finish(a, { ...finished(a.id, 0), usage: undefined, usageSource: 'none', providerCostUsd: 100 / USD });
        await h.engine.forceFlush();
      }
      expect(problemsOf(h, 'usage_estimated')).toHaveLength(1);
      expect(admitSync(h, call(100)).inputTokens).toBe(120);
      expect(() => h.engine.admit(call(USD))).toThrow(BudgetExceededError);
      await h.engine.forceFlush();
      expect(admitSync(h, call(100)).inputTokens).toBe(120);
      expect(h.shortfalls).toEqual([]);
    });
  });

  describe('thresholds', () => {
    it('fire once per budget, key and window, crossed by settled spend', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      await spendAll(h, 0.4 * USD);
      expect(h.thresholds).toEqual([]);
      await spendAll(h, 0.1 * USD, 0.1 * USD, 0.25 * USD, 0.05 * USD, 0.1 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd])).toEqual([
        [0.5, 0.5],
        [0.8, 0.85],
        [1, 1],
      ]);
      expect(h.thresholds[0]).toEqual({ budgetId: 'daily', scope: 'daily', key: 'global', threshold: 0.5, spentUsd: 0.5, limitUsd: 1, time: NOON });
      h.clock.set(Date.UTC(2026, 2, 11, 1));
      await spendAll(h, 0.6 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.time])).toEqual([
        [0.5, NOON],
        [0.8, NOON],
        [1, NOON],
        [0.5, Date.UTC(2026, 2, 11, 1)],
      ]);
    });

    it('re-check a budget replaced at run time against its new limit and thresholds', async () => {
      const h = harness([{ id: 'daily', scope: 'daily', maxUsd: 1, thresholds: [0.8] }], NOON);
      await spendAll(h, 0.5 * USD);
      expect(h.thresholds).toEqual([]);
      // Same id, same counter, a lower limit: the spend already past 80 % of it is announced at the next settle.
      await h.engine.add({ id: 'daily', scope: 'daily', maxUsd: 0.6, thresholds: [0.8, 0.9] });
      await spendAll(h, 0.01 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd, t.limitUsd])).toEqual([[0.8, 0.51, 0.6]]);
      await spendAll(h, 0.03 * USD);
      expect(h.thresholds.map((t) => t.threshold)).toEqual([0.8, 0.9]);
    });

    it('re-arm on a rolling window when spend falls back under a threshold', async () => {
      const h = harness([{ scope: 'daily', window: 'rolling', maxUsd: 1, thresholds: [0.5] }], NOON);
      await spendAll(h, 0.6 * USD);
      h.clock.advance(25 * HOUR); // the 0.6 left the window
      await spendAll(h, 0.1 * USD, 0.45 * USD);
      expect(h.thresholds.map((t) => [t.threshold, t.spentUsd])).toEqual([
        [0.5, 0.6],
        [0.5, 0.55],
      ]);
    });

    it('fire separately per task, with custom thresholds', async () => {
      const h = harness([{ scope: 'task', maxUsd: 1, thresholds: [0.9] }], NOON);
      for (const task of ['A', 'B', 'A']) spend(h, 0.5 * USD, { task });
      await h.engine.forceFlush();
      expect(h.thresholds.map((t) => [t.key, t.threshold, t.spentUsd])).toEqual([['A', 0.9, 1]]);
    });
  });

  describe('settle and release', () => {
    it('settles a call without an admission into the buckets its context maps to', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }, { scope: 'task', maxUsd: 1 }], NOON);
      const settled = h.engine.finish(undefined, finished('r1', 0.3 * USD, { task: 'T-1' }));
      expect([settled.reservedNanos, settled.shortfallNanos]).toEqual([0, 0]);
      await h.engine.forceFlush();
      expect(await status(h)).toEqual([
        ['daily', 'global', 0.3, 0],
        ['task', 'T-1', 0.3, 0],
      ]);
      expect(h.shortfalls).toEqual([]);
    });

    it('releases the unspent part of the reservation on settle, and all of it on release', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.6 * USD));
      const b = admitSync(h, call(0.4 * USD));
      h.engine.finish(a, finished(a.id, 0.1 * USD));
      await h.engine.release(b);
      await h.engine.forceFlush();
      expect((await h.engine.status())[0]).toMatchObject({
        key: 'global', spentUsd: 0.1, reservedUsd: 0, limitUsd: 1, remainingUsd: 0.9,
        windowStart: Date.UTC(2026, 2, 10), windowEnd: Date.UTC(2026, 2, 11),
      });
    });

    it('settling the same call twice charges it once', async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON);
      const a = admitSync(h, call(0.6 * USD));
      const settled = h.engine.account(a, finished(a.id, 0.2 * USD));
      await h.engine.settle(settled, a);
      await h.engine.settle(settled, a);
      expect(await status(h)).toEqual([['daily', 'global', 0.2, 0]]);
    });

    it('hands every settled call to the sinks; a failing sink is reported and the others still run', async () => {
      const h = harness([], NOON);
      const seen: SettledCall[] = [];
      h.engine.addSink({
        settled: () => {
          throw new Error('exporter down');
        },
      });
      const remove = h.engine.addSink({ settled: (s) => seen.push(s) });
      const a = admitSync(h, call(10));
      const settled = h.engine.finish(a, finished(a.id, 7));
      await h.engine.forceFlush();
      expect(seen).toEqual([settled]);
      expect(problemsOf(h, 'telemetry')).toEqual([expect.stringContaining('exporter down')]);
      remove();
      h.engine.finish(undefined, finished('later', 1));
      await h.engine.forceFlush();
      expect(seen).toHaveLength(1);
    });

    it('never rejects when the store fails a settlement: counts and reports it', async () => {
      const ledger = new MemoryLedger();
      ledger.settle = () => Promise.reject(new Error('disk full'));
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger });
      const a = admitSync(h, call(10));
      await expect(h.engine.settle(h.engine.account(a, finished(a.id, 7)), a)).resolves.toBeUndefined();
      expect(h.engine.errorCount).toBe(1);
      expect(problemsOf(h, 'store')).toEqual([expect.stringContaining('disk full')]);
    });
  });

  describe('ledger failures during admission', () => {
    function brokenLedger(): Ledger {
      const ledger = new MemoryLedger();
      ledger.reserve = () => {
        throw new Error('disk I/O error');
      };
      return ledger;
    }

    it('no failMode set: a deny budget fails closed, a warn budget fails open', async () => {
      const deny = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger() });
      expect(thrown(() => deny.engine.admit(call(1)))).toBeInstanceOf(LedgerUnavailableError);
      const warn = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'warn' }], NOON, { ledger: asyncLedger(brokenLedger()) });
      expect(await warn.engine.admit(call(5 * USD))).toMatchObject({ reservedNanos: 0, enforced: false });
    });

    it("a budget's own failMode wins over the engine's", async () => {
      const open = harness([{ scope: 'daily', maxUsd: 1, failMode: 'open' }], NOON, { ledger: asyncLedger(brokenLedger()), failMode: 'closed' });
      expect(await open.engine.admit(call(5 * USD))).toMatchObject({ decision: 'allow', reservedNanos: 0 });
      const mixed = harness([{ scope: 'daily', maxUsd: 1, onExceed: 'warn' }, { id: 'hard', scope: 'daily', maxUsd: 2, failMode: 'closed' }], NOON, { ledger: asyncLedger(brokenLedger()), failMode: 'open' });
      await expect(mixed.engine.admit(call(1))).rejects.toBeInstanceOf(LedgerUnavailableError);
    });

    it("failMode 'open': admits unbudgeted, loudly, and counts the error", () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger(), failMode: 'open' });
      const a = admitSync(h, openCall(5 * USD));
      expect(a).toMatchObject({ decision: 'allow', reservedNanos: 0, enforced: false });
      expect(h.engine.overrun(a, { input: 0, output: 1_000_000 })).toBeUndefined();
      expect(h.engine.errorCount).toBe(1);
      expect(problemsOf(h, 'store')).toEqual([expect.stringContaining("failMode 'open'")]);
    });

    it("failMode 'closed': refuses with LedgerUnavailableError", () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger(), failMode: 'closed' });
      const err = thrown(() => h.engine.admit(call(1)));
      expect(err).toBeInstanceOf(LedgerUnavailableError);
      expect((err as Error).message).toContain('disk I/O error');
      expect(h.engine.errorCount).toBe(1);
    });

    it("failMode 'closed': a refusal because the store is down is not written to it (one error, no settle failure reported)", async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: brokenLedger(), failMode: 'closed' });
      const seen: string[] = [];
      h.engine.addSink({ settled: (c) => seen.push(c.record.status) });
      thrown(() => h.engine.admit(call(1)));
      await h.engine.forceFlush();
      expect(h.engine.errorCount).toBe(1);
      expect(seen).toEqual(['denied']);
      expect(h.problemLines.filter((l) => l.includes('not counted'))).toEqual([]);
    });

    it("failMode 'open' on an asynchronous ledger: resolves unbudgeted", async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: asyncLedger(brokenLedger()), failMode: 'open' });
      expect(await h.engine.admit(call(5 * USD))).toMatchObject({ decision: 'allow', reservedNanos: 0 });
      expect(h.engine.errorCount).toBe(1);
    });

    it("failMode 'closed' on an asynchronous ledger: rejects with LedgerUnavailableError", async () => {
      const h = harness([{ scope: 'daily', maxUsd: 1 }], NOON, { ledger: asyncLedger(brokenLedger()), failMode: 'closed' });
      await expect(h.engine.admit(call(1))).rejects.toBeInstanceOf(LedgerUnavailableError);
      expect(h.engine.errorCount).toBe(1);
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

      const restarted = new BudgetEngine({ ledger, pricer: linearPricer(), budgets: [{ scope: 'daily', maxUsd: 20 }] });
      await restarted.load();
      expect(restarted.list()).toEqual(h.engine.list());

      expect(await h.engine.remove('task:onExceed=fallback')).toBe(true);
      expect(await h.engine.remove('task:onExceed=fallback')).toBe(false);
      expect(await ledger.listBudgets()).toEqual([]);
    });

    it('an added budget applies to the next admission, a removed one no longer does', async () => {
      const h = harness([], NOON);
      await h.engine.add({ scope: 'daily', maxUsd: 1 });
      expect(() => h.engine.admit(call(2 * USD))).toThrow(BudgetExceededError);
      await h.engine.remove('daily');
      expect(admitSync(h, call(2 * USD)).buckets).toEqual([]);
    });

    it('rejects with BudgetConfigError naming the field', async () => {
      const h = harness([], NOON);
      const field = async (spec: unknown) => ((await rejected(h.engine.add(spec as never))) as BudgetConfigError).field;
      expect(await field({ scope: 'fortnightly', maxUsd: 1 })).toBe('budget.scope');
      expect(await field({ scope: 'daily', maxUsd: -1 })).toBe('budget.maxUsd');
      expect(await field({ scope: 'daily', maxUsd: 1, onExceed: 'fallback' })).toBe('budget.fallbackModel');
      expect(await field({ scope: 'daily', maxUsd: 1, window: 'weekly' })).toBe('budget.window');
      expect(await field({ scope: 'daily', maxUsd: 1, thresholds: [0] })).toBe('budget.thresholds');
      expect(h.engine.list()).toEqual([]);
    });
  });

  describe('status', () => {
    it('reports per-id budgets for the ids asked for, or the ones seen', async () => {
      const h = harness([{ scope: 'task', maxUsd: 2 }, { scope: 'request', maxUsd: 1 }], NOON);
      for (const task of ['A', 'B']) {
        const a = admitSync(h, call(0.5 * USD, { task }));
        h.engine.finish(a, finished(a.id, 0.25 * USD, { task }));
      }
      await h.engine.forceFlush();
      const all = await h.engine.status();
      expect(all.map((s) => [s.key, s.spentUsd, s.remainingUsd])).toEqual([
        ['A', 0.25, 1.75],
        ['B', 0.25, 1.75],
      ]);
      const one = await h.engine.status({ task: 'C' });
      expect(one.map((s) => [s.key, s.spentUsd])).toEqual([['C', 0]]);
    });
  });

  it('exposes every scope', () => {
    const scopes: BudgetScope[] = ['request', 'task', 'session', 'agent', 'daily', 'weekly', 'monthly', 'total'];
    const h = harness(scopes.map((scope) => ({ scope, maxUsd: 1 })), NOON);
    const a = admitSync(h, call(0.1 * USD, { task: 't', session: 's', agent: 'g' }));
    expect(a.buckets.map((b) => b.key)).toEqual([
      'task|t|all',
      'session|s|all',
      'agent|g|all',
      'daily|global|2026-03-10',
      'weekly|global|2026-W11',
      'monthly|global|2026-03',
      'total|global|all',
    ]);
    expect(a.requestLimitNanos).toBe(USD);
  });
});
