import { nanosToUsd } from '../core/money.js';
import type { Bucket, Ledger } from '../ledger/Ledger.js';
import { applyBudget } from './budgetBucket.js';
import type { AppliedBudget, BucketContext } from './budgetBucket.js';
import type { BudgetSet } from './BudgetSet.js';
import { ID_SCOPES } from './normalizeBudget.js';
import { contextFor, perValueOf } from './budgetDimensions.js';
import type { BudgetPer } from '../core/Budget.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** One budget's counter at a moment. */
export interface BudgetStatus {
  budget: NormalizedBudget;
  /** 'global', a task / session / agent id, or an attribution counter (`team=search`, `user=alice`). */
  key: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  /** max(0, limit - spent - reserved). */
  remainingUsd: number;
  /** Calendar windows: [windowStart, windowEnd). Rolling: (now - length, now]. Absent for task/session/agent/total. */
  windowStart?: number;
  windowEnd?: number;
}

/** Which counters of per-id and per-value budgets to report (default: the ones seen most recently). */
export interface StatusFilter {
  task?: string;
  session?: string;
  agent?: string;
  /** Per-value budgets (`per: 'user'`...): report the counter of this value of their dimension. */
  values?: Partial<Record<BudgetPer, string>>;
}

/**
 * Spend, reservations, limit and remaining of every budget at `now`. Request budgets have no
 * counter and are left out. Per-id budgets report the id given in `filter`, their `key`, or the
 * ids seen most recently (up to 100).
 */
export async function budgetStatus(budgets: BudgetSet, ledger: Ledger, now: number, filter: StatusFilter): Promise<BudgetStatus[]> {
  const applied: AppliedBudget[] = [];
  for (const budget of budgets.values()) {
    if (budget.scope === 'request') continue;
    let keys: Iterable<string> = ['global'];
    if (ID_SCOPES.has(budget.scope)) {
      const scope = budget.scope as 'task' | 'session' | 'agent';
      const wanted = filter[scope];
      keys = wanted !== undefined ? [wanted] : budget.key !== undefined ? [budget.key] : budgets.seen(budget.id);
    } else if (budget.per !== undefined) {
      const wanted = filter.values?.[budget.per];
      keys = wanted !== undefined ? [wanted] : [...budgets.seen(budget.id)].flatMap((k) => perValueOf(budget.where, budget.per as BudgetPer, k) ?? []);
    }
    for (const key of keys) {
      const ctx: BucketContext = { id: 'status', provider: budget.provider ?? '', model: budget.model ?? '' };
      if (ID_SCOPES.has(budget.scope)) ctx[budget.scope as 'task' | 'session' | 'agent'] = key;
      if (budget.where !== undefined || budget.per !== undefined) Object.assign(ctx, contextFor(budget.where, budget.per, key));
      const a = applyBudget(budget, ctx, now);
      if (a?.bucket !== undefined) applied.push(a);
    }
  }
  if (applied.length === 0) return [];
  const states = await ledger.bucketStates(applied.map((a) => a.bucket as Bucket), now);
  return states.map((s, i) => {
    const a = applied[i] as AppliedBudget;
    const status: BudgetStatus = {
      budget: { ...a.budget, thresholds: [...a.budget.thresholds] },
      key: a.key,
      spentUsd: nanosToUsd(s.spentNanos),
      reservedUsd: nanosToUsd(s.reservedNanos),
      limitUsd: nanosToUsd(a.limitNanos),
      remainingUsd: nanosToUsd(Math.max(0, a.limitNanos - s.spentNanos - s.reservedNanos)),
    };
    if (a.windowStart !== undefined) status.windowStart = a.windowStart;
    if (a.windowEnd !== undefined) status.windowEnd = a.windowEnd;
    return status;
  });
}
