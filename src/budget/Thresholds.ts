import { nanosToUsd } from '../core/money.js';
import type { EventBus } from '../events/EventBus.js';
import type { Bucket, BucketState } from '../ledger/Ledger.js';
import { counterKeyOf } from './budgetBucket.js';
import type { BudgetSet } from './BudgetSet.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** The thresholds already announced for one bucket (budget, key and window). */
interface Fired {
  expiresAt: number | undefined;
  rolling: boolean;
  thresholds: Set<number>;
  /** Spend below this crosses no threshold not yet announced (windows that only grow). */
  nextNanos: number;
  /** The budget and limit `nextNanos` was worked out for (a budget replaced at run time invalidates it). */
  budget: NormalizedBudget | undefined;
  limitNanos: number;
  /** When the bucket was last checked, as a count of checks (least recently touched entries are evicted first). */
  touched: number;
}

/** Options of the threshold tracker. */
export interface ThresholdsOptions {
  /**
   * Buckets remembered at most (default 100,000). Beyond it the least recently settled buckets
   * are forgotten, a tenth of the cap at a time; a forgotten bucket announces the thresholds it
   * has already crossed once more when it is next settled.
   */
  maxEntries?: number;
}

/** Below this many entries, expired ones are never swept. */
const SWEEP_SIZE = 10_000;
const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Emits each `threshold` event once per budget, key and window (rolling windows re-arm when
 * spend falls back under a threshold), from the bucket states a settlement returned. Entries
 * of ended calendar windows are swept once the map has doubled since the last sweep (so a
 * sweep costs O(1) per settlement, amortised), and the map holds at most `maxEntries`.
 */
export class Thresholds {
  private readonly fired = new Map<string, Fired>();
  private readonly maxEntries: number;
  /** The next sweep runs when the map grows past this size. */
  private sweepAt = SWEEP_SIZE;
  private ticks = 0;

  constructor(
    private readonly budgets: BudgetSet,
    private readonly events: EventBus,
    private readonly clock: () => number,
    options: ThresholdsOptions = {},
  ) {
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_MAX_ENTRIES));
  }

  /** Buckets remembered now. */
  get size(): number {
    return this.fired.size;
  }

  check(buckets: readonly Bucket[], states: readonly BucketState[]): void {
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i] as Bucket;
      const s = states[i];
      const budget = this.budgets.get(bucket.budgetId);
      if (budget === undefined || s === undefined || budget.thresholds.length === 0) continue;
      let entry = this.fired.get(bucket.key);
      if (entry === undefined) {
        // Only buckets that crossed a threshold are remembered: below the lowest, there is nothing to announce or re-arm.
        if (s.spentNanos < (budget.thresholds[0] as number) * bucket.limitNanos) continue;
        entry = { expiresAt: bucket.expiresAt, rolling: bucket.rollingMs !== undefined, thresholds: new Set(), nextNanos: 0, budget: undefined, limitNanos: 0, touched: 0 };
        this.fired.set(bucket.key, entry);
      }
      entry.touched = ++this.ticks;
      if (!entry.rolling && entry.budget === budget && entry.limitNanos === bucket.limitNanos && s.spentNanos < entry.nextNanos) continue;
      let next = Number.POSITIVE_INFINITY;
      for (const t of budget.thresholds) {
        const crossed = s.spentNanos >= t * bucket.limitNanos;
        if (crossed && !entry.thresholds.has(t)) {
          entry.thresholds.add(t);
          this.events.emit('threshold', {
            budgetId: budget.id,
            scope: budget.scope,
            key: counterKeyOf(bucket.key),
            threshold: t,
            spentUsd: nanosToUsd(s.spentNanos),
            limitUsd: nanosToUsd(bucket.limitNanos),
            time: this.clock(),
          });
        } else if (!crossed && entry.rolling) {
          entry.thresholds.delete(t);
        }
        if (!entry.thresholds.has(t)) next = Math.min(next, t * bucket.limitNanos);
      }
      entry.nextNanos = next;
      entry.budget = budget;
      entry.limitNanos = bucket.limitNanos;
    }
    if (this.fired.size > this.sweepAt || this.fired.size > this.maxEntries) this.sweep();
  }

  /** Forgets what was announced for these counters (every counter when undefined): after a reset, spend crosses the thresholds anew. */
  forget(bucketKeys?: readonly string[]): void {
    if (bucketKeys === undefined) this.fired.clear();
    else for (const key of bucketKeys) this.fired.delete(key);
  }

  /** Drops entries of ended windows, then, over the cap, the least recently touched down to 90 % of it. */
  private sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.fired) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.fired.delete(key);
    const excess = this.fired.size - (this.maxEntries - Math.floor(this.maxEntries / 10));
    if (this.fired.size > this.maxEntries && excess > 0) {
      const ticks = [...this.fired.values()].map((entry) => entry.touched).sort((a, b) => a - b);
      // Ticks are distinct: the `excess` oldest entries are those touched at or before the excess-th smallest tick.
      const oldest = ticks[excess - 1] as number;
      for (const [key, entry] of this.fired) if (entry.touched <= oldest) this.fired.delete(key);
    }
    this.sweepAt = Math.max(SWEEP_SIZE, 2 * this.fired.size);
  }
}
