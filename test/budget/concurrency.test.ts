import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { Admission } from '../../src/budget/CallTypes.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { isPromise } from '../../src/core/maybePromise.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import type { MaybePromise } from '../../src/core/maybePromise.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { USD, asyncLedger, call, finished, linearPricer, openCall } from './engineHarness.js';

const NOON = Date.UTC(2026, 2, 10, 12);
const CALLS = 1_000;
const LIMIT = USD; // $1.00

/** Small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function sqliteLedger(): Ledger {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-concurrency-'));
  const ledger = new SqliteLedger({ path: join(dir, 'ledger.db') });
  cleanups.push(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return ledger;
}

const stores: [string, () => Ledger, boolean][] = [
  ['memory', () => new MemoryLedger(), true],
  ['SQLite (group commit: reserve answers with a promise)', sqliteLedger, false],
  ['asynchronous (memory behind promises)', () => asyncLedger(new MemoryLedger()), false],
];

describe('1,000 concurrent admissions against a $1.00 deny daily budget', () => {
  for (const [name, makeLedger, synchronous] of stores) {
    it(`${name}: settled total never exceeds $1.00 and every denied call truly did not fit`, async () => {
      const ledger = makeLedger();
      // The linear test pricer prices a call with an output limit of 0 at one nano per input token: its estimate exactly.
      const engine = new BudgetEngine({ ledger, pricer: linearPricer(), budgets: [{ scope: 'daily', maxUsd: 1 }], clock: () => NOON });
      const rand = prng(20260310);
      // What the ledger must hold, tracked independently of it (JS runs one admission at a time).
      let shadowSpent = 0;
      let shadowReserved = 0;
      const denied: BudgetExceededError[] = [];
      const settledCosts: number[] = [];

      await Promise.all(
        Array.from({ length: CALLS }, async (_, i) => {
          await microtasks(Math.floor(rand() * 4));
          const estimate = 1 + Math.floor(rand() * 5_000_000); // up to $0.005; demand ≈ $2.50 in all
          const before = shadowSpent + shadowReserved;
          let result: MaybePromise<Admission>;
          try {
            result = engine.admit(call(estimate, { id: `c${i}` }));
          } catch (err: unknown) {
            if (!(err instanceof BudgetExceededError)) throw err;
            expect(before + estimate).toBeGreaterThan(LIMIT);
            denied.push(err);
            return;
          }
          expect(isPromise(result)).toBe(!synchronous);
          let admission: Admission;
          if (synchronous) {
            expect(before + estimate).toBeLessThanOrEqual(LIMIT);
            admission = result as Admission;
          } else {
            try {
              admission = await result;
            } catch (err: unknown) {
              if (!(err instanceof BudgetExceededError)) throw err;
              denied.push(err);
              return;
            }
          }
          shadowReserved += estimate;
          await microtasks(Math.floor(rand() * 8));
          const cost = Math.floor(rand() * (estimate + 1));
          expect(admission.reservedNanos).toBe(estimate);
          const settled = engine.settle(engine.account(admission, finished(admission.id, cost)), admission);
          // Update the shadow in the same synchronous step as the store's settlement.
          shadowReserved -= estimate;
          shadowSpent += cost;
          await settled;
          settledCosts.push(cost);
        }),
      );

      const total = settledCosts.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(LIMIT);
      expect(total).toBe(shadowSpent);
      expect(settledCosts.length + denied.length).toBe(CALLS);
      expect(denied.length).toBeGreaterThan(100);
      expect(settledCosts.length).toBeGreaterThan(100);
      for (const err of denied) {
        // The error reports the state at its moment: settled + reserved, plus the attempt, is over the limit.
        const used = Math.round(err.spentUsd * USD);
        const attempted = Math.round(err.attemptedUsd * USD);
        expect(used).toBeLessThanOrEqual(LIMIT);
        expect(used + attempted).toBeGreaterThan(LIMIT);
      }
      const [state] = await ledger.bucketStates(
        [{ key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: LIMIT, enforce: true }],
        NOON,
      );
      expect(state).toEqual({ key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: LIMIT, spentNanos: total, reservedNanos: 0 });
      // Every refusal is recorded too, as a denied call that cost nothing.
      await engine.forceFlush();
      const byStatus = await ledger.usage({ by: 'status' });
      expect(byStatus.map((g) => [g.key, g.calls, g.costNanos]).sort()).toEqual(
        [
          ['denied', denied.length, 0],
          ['ok', settledCosts.length, total],
        ].sort(),
      );
    });
  }
});

describe('1,000 concurrent calls without an output limit against a deny daily budget', () => {
  const CAP = 2_000_000; // nanos: ~250 calls' worth at the default output
  for (const [name, makeLedger] of stores) {
    it(`${name}: output limits chosen to fit keep the settled total within the cap, and no stream within its limit is cut`, async () => {
      const ledger = makeLedger();
      const engine = new BudgetEngine({ ledger, pricer: linearPricer(), budgets: [{ scope: 'daily', maxUsd: CAP / USD }], clock: () => NOON });
      const rand = prng(20261203);
      const limits: number[] = [];
      let denied = 0;
      let total = 0;

      await Promise.all(
        Array.from({ length: CALLS }, async (_, i) => {
          await microtasks(Math.floor(rand() * 4));
          const input = 1 + Math.floor(rand() * 5_000);
          let admission: Admission;
          try {
            admission = await engine.admit(openCall(input, { id: `o${i}` }));
          } catch (err: unknown) {
            if (!(err instanceof BudgetExceededError)) throw err;
            denied++;
            return;
          }
          const limit = admission.outputLimit as number;
          limits.push(limit);
          // The reservation covers the input and exactly the output limit the caller is given.
          expect(admission.reservedNanos).toBe(input + 2 * limit);
          await microtasks(Math.floor(rand() * 8));
          const output = Math.floor(rand() * (limit + 1));
          expect(engine.overrun(admission, { input, output })).toBeUndefined();
          const settled = engine.account(admission, finished(admission.id, 0, { usage: { input, output } }));
          total += settled.record.costNanos;
          await engine.settle(settled, admission);
        }),
      );

      expect(total).toBeLessThanOrEqual(CAP);
      expect(denied).toBeGreaterThan(100);
      expect(limits.filter((l) => l < 4_096).length).toBeGreaterThan(0);
      expect(Math.min(...limits)).toBeGreaterThanOrEqual(16);
      const [state] = await ledger.bucketStates([{ key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: CAP, enforce: true }], NOON);
      expect([state?.spentNanos, state?.reservedNanos]).toEqual([total, 0]);
    });
  }
});
