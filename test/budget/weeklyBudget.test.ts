import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { normalizeBudget } from '../../src/budget/normalizeBudget.js';
import { USD, call, harness, spend } from './engineHarness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-03-09T00:00:00.000Z, the start of ISO week 2026-W11. */
const MONDAY = Date.UTC(2026, 2, 9);

describe('weekly budgets', () => {
  it('calendar: one counter per ISO week, keyed YYYY-Www, expiring on the next Monday', () => {
    const h = harness([{ scope: 'weekly', maxUsd: 1 }], MONDAY + 3 * DAY + 12 * HOUR);
    const a = spend(h, 0.1 * USD);
    expect(a.buckets.map((b) => [b.key, b.expiresAt])).toEqual([['weekly|global|2026-W11', MONDAY + 7 * DAY]]);
    expect(h.engine.list()[0]?.id).toBe('weekly');
  });

  it('calendar: denies across the days of a week and allows again the next Monday', () => {
    const h = harness([{ scope: 'weekly', maxUsd: 1 }], MONDAY);
    spend(h, 0.6 * USD);
    h.clock.set(MONDAY + 2 * DAY);
    spend(h, 0.4 * USD);
    for (const day of [2, 4, 6]) {
      h.clock.set(MONDAY + day * DAY + 5 * HOUR);
      expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    }
    h.clock.set(MONDAY + 7 * DAY - 1);
    expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    h.clock.set(MONDAY + 7 * DAY);
    expect(spend(h, USD).buckets.map((b) => b.key)).toEqual(['weekly|global|2026-W12']);
  });

  it('rolling: spend leaves the window exactly 7 days after it was settled', () => {
    const start = MONDAY + 3 * DAY + 12 * HOUR;
    const h = harness([{ scope: 'weekly', maxUsd: 1, window: 'rolling' }], start);
    expect(spend(h, USD).buckets.map((b) => [b.key, b.rollingMs])).toEqual([['weekly%3Awindow%3Drolling|global|rolling', 7 * DAY]]);
    h.clock.set(start + 7 * DAY - 1);
    expect(() => h.engine.admit(call(1))).toThrow(BudgetExceededError);
    h.clock.set(start + 7 * DAY);
    expect(spend(h, USD).decision).toBe('allow');
  });

  it('keeps window rolling for weekly budgets (it applies to daily, weekly and monthly)', () => {
    expect(normalizeBudget({ scope: 'weekly', maxUsd: 5, window: 'rolling' })).toMatchObject({ id: 'weekly:window=rolling', window: 'rolling' });
  });
});
