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
}

const SWEEP_SIZE = 10_000;

/**
 * Emits each `threshold` event once per budget, key and window (rolling windows re-arm when
 * spend falls back under a threshold), from the bucket states a settlement returned.
 */
export class Thresholds {
  private readonly fired = new Map<string, Fired>();

  constructor(
    private readonly budgets: BudgetSet,
    private readonly events: EventBus,
    private readonly clock: () => number,
  ) {}

  check(buckets: readonly Bucket[], states: readonly BucketState[]): void {
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i] as Bucket;
      const s = states[i];
      const budget = this.budgets.get(bucket.budgetId);
      if (budget === undefined || s === undefined || budget.thresholds.length === 0) continue;
      let entry = this.fired.get(bucket.key);
      if (entry === undefined) {
        entry = { expiresAt: bucket.expiresAt, rolling: bucket.rollingMs !== undefined, thresholds: new Set(), nextNanos: 0, budget: undefined, limitNanos: 0 };
        this.fired.set(bucket.key, entry);
      }
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
    if (this.fired.size > SWEEP_SIZE) {
      const now = this.clock();
      for (const [key, entry] of this.fired) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.fired.delete(key);
    }
  }
}
