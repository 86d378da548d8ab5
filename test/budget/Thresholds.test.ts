import { describe, expect, it } from 'vitest';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetSet } from '../../src/budget/BudgetSet.js';
import { Thresholds } from '../../src/budget/Thresholds.js';
import type { ThresholdsOptions } from '../../src/budget/Thresholds.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { ThresholdEvent } from '../../src/events/TollgateEvents.js';
import type { Bucket } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';

const NOON = Date.UTC(2026, 2, 10, 12);
const DAY = 86_400_000;
const LIMIT = 1_000;

/** A tracker over `specs`, its events, and how many times it read the clock (once per sweep and per event). */
function tracker(specs: BudgetSpec[], options?: ThresholdsOptions) {
  const budgets = new BudgetSet(new MemoryLedger(), specs, () => undefined);
  const events = new EventBus();
  const fired: ThresholdEvent[] = [];
  events.on('threshold', (e) => fired.push(e));
  const clock = { now: NOON, reads: 0 };
  const thresholds = new Thresholds(budgets, events, () => {
    clock.reads++;
    return clock.now;
  }, options);
  /** Settles one bucket at `spent` nano-USD. */
  const settle = (bucket: Bucket, spent: number) => thresholds.check([bucket], [{ key: bucket.key, budgetId: bucket.budgetId, limitNanos: bucket.limitNanos, spentNanos: spent, reservedNanos: 0 }]);
  return { thresholds, fired, clock, settle };
}

const taskBucket = (id: string): Bucket => ({ key: `task|${id}|all`, budgetId: 'task', limitNanos: LIMIT, enforce: true });
const dailyBucket = (day: number, id = 'global'): Bucket => ({ key: `daily|${id}|day-${day}`, budgetId: 'daily', limitNanos: LIMIT, enforce: true, expiresAt: NOON + (day + 1) * DAY });

describe('Thresholds', () => {
  it('announce each threshold once per bucket', () => {
    const t = tracker([{ id: 'task', scope: 'task', maxUsd: 1, thresholds: [0.5, 1] }]);
    t.settle(taskBucket('A'), 600);
    t.settle(taskBucket('A'), 700);
    t.settle(taskBucket('B'), 600);
    t.settle(taskBucket('A'), 1_000);
    expect(t.fired.map((e) => [e.key, e.threshold])).toEqual([
      ['A', 0.5],
      ['B', 0.5],
      ['A', 1],
    ]);
  });

  it('remember only buckets that crossed a threshold', () => {
    const t = tracker([{ id: 'task', scope: 'task', maxUsd: 1, thresholds: [0.5, 1] }]);
    for (let i = 0; i < 1_000; i++) t.settle(taskBucket(`t${i}`), 499);
    expect(t.thresholds.size).toBe(0);
    t.settle(taskBucket('t7'), 500);
    expect(t.thresholds.size).toBe(1);
    t.settle(taskBucket('t7'), 600);
    t.settle(taskBucket('t7'), 1_000);
    expect(t.fired.map((e) => [e.key, e.threshold])).toEqual([
      ['t7', 0.5],
      ['t7', 1],
    ]);
  });

  it('announce a keyed bucket once per window, and forget it when the window has ended', () => {
    const t = tracker([{ id: 'daily', scope: 'daily', maxUsd: 1, thresholds: [0.5] }]);
    const keyed = (day: number) => dailyBucket(day, 'T-1');
    t.settle(keyed(0), 600);
    t.settle(keyed(0), 700);
    t.settle(keyed(1), 600);
    expect(t.fired.map((e) => [e.key, e.spentUsd])).toEqual([
      ['T-1', 0.0000006],
      ['T-1', 0.0000006],
    ]);
    // Enough other crossed buckets to sweep, two days later: both windows of T-1 are forgotten.
    t.clock.now = NOON + 3 * DAY;
    for (let i = 0; i < 10_000; i++) t.settle(dailyBucket(3, `k${i}`), 600);
    expect(t.thresholds.size).toBeLessThanOrEqual(10_000);
    t.settle(keyed(3), 600);
    expect(t.fired.filter((e) => e.key === 'T-1')).toHaveLength(3);
  });

  it('sweep ended windows a bounded number of times as the map grows (amortised, not on every settlement)', () => {
    const t = tracker([{ id: 'daily', scope: 'daily', maxUsd: 1, thresholds: [0.5] }]);
    // 50,000 distinct buckets, each crossing its threshold once (one clock read per event).
    for (let i = 0; i < 50_000; i++) t.settle(dailyBucket(0, `k${i}`), 600);
    expect(t.fired).toHaveLength(50_000);
    // Sweeps at 10,001, 20,001 and 40,001 entries (the map doubles between sweeps).
    expect(t.clock.reads - t.fired.length).toBeLessThanOrEqual(3);
    expect(t.thresholds.size).toBe(50_000);
  });

  it('forget buckets of ended windows once the map has grown', () => {
    const t = tracker([{ id: 'daily', scope: 'daily', maxUsd: 1, thresholds: [0.5] }]);
    for (let i = 0; i < 10_000; i++) t.settle(dailyBucket(0, `k${i}`), 600);
    t.clock.now = NOON + 2 * DAY;
    t.settle(dailyBucket(2), 600);
    expect(t.thresholds.size).toBe(1);
  });

  it('hold at most maxEntries buckets, forgetting the least recently settled first', () => {
    const t = tracker([{ id: 'task', scope: 'task', maxUsd: 1, thresholds: [0.5, 1] }], { maxEntries: 100 });
    t.settle(taskBucket('first'), 600);
    for (let i = 0; i < 1_000; i++) {
      t.settle(taskBucket(`t${i}`), 600);
      // 'first' is settled again now and then: it stays among the most recent.
      if (i % 50 === 0) t.settle(taskBucket('first'), 600);
      expect(t.thresholds.size).toBeLessThanOrEqual(100);
    }
    t.settle(taskBucket('first'), 700);
    expect(t.fired.filter((e) => e.key === 'first')).toHaveLength(1);
  });

  it('announce a threshold again for a bucket that was forgotten (documented: beyond maxEntries)', () => {
    const t = tracker([{ id: 'task', scope: 'task', maxUsd: 1, thresholds: [0.5] }], { maxEntries: 10 });
    t.settle(taskBucket('old'), 600);
    for (let i = 0; i < 20; i++) t.settle(taskBucket(`t${i}`), 600);
    t.settle(taskBucket('old'), 700);
    expect(t.fired.filter((e) => e.key === 'old').map((e) => e.spentUsd)).toEqual([0.0000006, 0.0000007]);
  });
});
