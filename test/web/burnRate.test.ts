import { describe, expect, it } from 'vitest';
import { burnOf, paceSince } from '../../web/src/burnRate.js';
import type { BudgetStatus } from '../../web/src/types.js';

const HOUR = 3_600_000;
const MIDNIGHT = Date.UTC(2026, 11, 3);

function daily(spentUsd: number, limitUsd: number, reservedUsd = 0): BudgetStatus {
  return {
    budget: { id: 'daily', scope: 'daily', maxUsd: limitUsd, onExceed: 'deny', thresholds: [] },
    key: 'global',
    spentUsd,
    reservedUsd,
    limitUsd,
    remainingUsd: limitUsd - spentUsd - reservedUsd,
    windowStart: MIDNIGHT,
    windowEnd: MIDNIGHT + 24 * HOUR,
  };
}

describe('burnOf (the page\'s burn rate and projection)', () => {
  it('projects the cap from the pace of the last hour', () => {
    const now = MIDNIGHT + 10 * HOUR;
    expect(paceSince(daily(1, 10), now)).toBe(now - HOUR);
    // $1 spent today, $0.5 of it in the last hour: $0.5/h, $9 left → 18 h away, after the window ends.
    expect(burnOf(daily(1, 10), now, 0.5)).toMatchObject({ perHour: 0.5, capAt: undefined, state: 'ok' });
    // $3 in the last hour: $9 left → 3 h away.
    expect(burnOf(daily(6, 10), now, 3)).toMatchObject({ perHour: 3, capAt: now + (4 / 3) * HOUR, state: 'ok' });
  });

  it('falls back to the average since the window started, and uses the window so far when it is under an hour old', () => {
    const early = MIDNIGHT + HOUR / 2;
    expect(paceSince(daily(1, 10), early)).toBe(MIDNIGHT);
    expect(burnOf(daily(1, 10), early).perHour).toBe(2);
    expect(burnOf(daily(1, 10), early, 1).perHour).toBe(2);
  });

  it('says near at 80 % (spent + reserved), over at 100 %, reached when nothing remains', () => {
    const now = MIDNIGHT + 2 * HOUR;
    expect(burnOf(daily(7, 10, 1), now).state).toBe('near');
    expect(burnOf(daily(10, 10), now)).toMatchObject({ state: 'over', capAt: now });
  });

  it('has no rate for budgets without a window (task, session, total)', () => {
    const { windowStart: _s, windowEnd: _e, ...task } = daily(1, 10);
    expect(burnOf({ ...task, budget: { ...task.budget, scope: 'task' } }, MIDNIGHT)).toMatchObject({ perHour: undefined, capAt: undefined });
  });
});
