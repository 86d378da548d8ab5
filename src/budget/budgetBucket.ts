import type { Bucket } from '../ledger/Ledger.js';
import { usdToNanos } from '../core/money.js';
import {
  MS_PER_DAY,
  MS_PER_WEEK,
  utcDayKey,
  utcDayStart,
  utcMonthKey,
  utcMonthStart,
  utcNextDayStart,
  utcNextMonthStart,
  utcNextWeekStart,
  utcWeekKey,
  utcWeekStart,
} from '../time/utcWindows.js';
import type { NormalizedBudget } from './normalizeBudget.js';
import { describeWhere, dimensionValue, matchesBudgetWhere } from './budgetDimensions.js';
import type { DimensionContext } from './budgetDimensions.js';

/** The call fields that decide which budgets apply (with the attribution `where` and `per` read). */
export interface BucketContext extends DimensionContext {
  id: string;
  provider: string;
  model: string;
  task?: string;
  session?: string;
  agent?: string;
}

/** One budget applied to one call at one moment. */
export interface AppliedBudget {
  budget: NormalizedBudget;
  /**
   * The counter's key: 'global', a task / session / agent id, the call id (request scope), or for
   * attribution budgets the `where` and `per` value (`team=search`, `user=alice`, `team=search,user=alice`).
   */
  key: string;
  limitNanos: number;
  /** The ledger counter; undefined for request budgets (checked against the call's own estimate). */
  bucket?: Bucket;
  windowStart?: number;
  windowEnd?: number;
}

export const ROLLING_DAY_MS = MS_PER_DAY;
export const ROLLING_WEEK_MS = MS_PER_WEEK;
export const ROLLING_MONTH_MS = 30 * MS_PER_DAY;
const ROLLING_MS = { daily: ROLLING_DAY_MS, weekly: ROLLING_WEEK_MS, monthly: ROLLING_MONTH_MS } as const;
/** Start, next start and counter key of each calendar window. */
const CALENDAR = {
  daily: { start: utcDayStart, next: utcNextDayStart, key: utcDayKey },
  weekly: { start: utcWeekStart, next: utcNextWeekStart, key: utcWeekKey },
  monthly: { start: utcMonthStart, next: utcNextMonthStart, key: utcMonthKey },
} as const;
/** The last applied counter of each global (total / calendar-window) budget: the same for every call in a window. */
const globalApplied = new WeakMap<NormalizedBudget, { windowStart: number; windowEnd: number; applied: AppliedBudget }>();

/**
 * The budget's counter for this call at `now`, or undefined when the budget does not
 * apply (provider / model filter, or the call lacks the id its scope needs, or `key` differs).
 * Bucket keys are `<budget id>|<key>|<window>` (id and key URI-encoded), where window is
 * `YYYY-MM-DD` (daily), `YYYY-Www` (weekly, ISO week), `YYYY-MM` (monthly), `rolling`, or `all`.
 */
export function applyBudget(budget: NormalizedBudget, ctx: BucketContext, now: number): AppliedBudget | undefined {
  if (!matchesFilters(budget, ctx)) return undefined;
  // A per budget counts only calls carrying its dimension (never cached: its counter depends on the value).
  const perValue = budget.per === undefined ? undefined : dimensionValue(ctx, budget.per);
  if (budget.per !== undefined && (perValue === undefined || perValue === '')) return undefined;
  // Hot path: global budgets apply the same counter to every call of a window (budget objects never change).
  const cached = globalApplied.get(budget);
  if (cached !== undefined && now >= cached.windowStart && now < cached.windowEnd) return cached.applied;
  const counter = counterOf(budget, perValue);
  const limitNanos = usdToNanos(budget.maxUsd);
  const enforce = budget.onExceed !== 'warn';
  // One flat string (join), not a tree of parts: bucket keys are kept as map keys by the store.
  const keyOf = (key: string, window: string) => [encodeURIComponent(budget.id), encodeURIComponent(key), window].join('|');
  // Each bucket one literal with all its fields (not a spread plus a field: that object takes several times the memory).

  switch (budget.scope) {
    case 'request':
      return { budget, key: ctx.id, limitNanos };
    case 'task':
    case 'session':
    case 'agent': {
      const id = ctx[budget.scope];
      if (id === undefined || id === '') return undefined;
      if (budget.key !== undefined && budget.key !== id) return undefined;
      return { budget, key: id, limitNanos, bucket: { key: keyOf(id, 'all'), budgetId: budget.id, limitNanos, enforce } };
    }
    case 'total': {
      const applied: AppliedBudget = { budget, key: counter, limitNanos, bucket: { key: keyOf(counter, 'all'), budgetId: budget.id, limitNanos, enforce } };
      if (budget.per === undefined) globalApplied.set(budget, { windowStart: Number.NEGATIVE_INFINITY, windowEnd: Number.POSITIVE_INFINITY, applied });
      return applied;
    }
    case 'daily':
    case 'weekly':
    case 'monthly': {
      if (budget.window === 'rolling') {
        const rollingMs = ROLLING_MS[budget.scope];
        return {
          budget,
          key: counter,
          limitNanos,
          bucket: { key: keyOf(counter, 'rolling'), budgetId: budget.id, limitNanos, enforce, rollingMs },
          windowStart: now - rollingMs,
          windowEnd: now,
        };
      }
      const calendar = CALENDAR[budget.scope];
      const windowStart = calendar.start(now);
      const windowEnd = calendar.next(now);
      const applied: AppliedBudget = {
        budget,
        key: counter,
        limitNanos,
        bucket: { key: keyOf(counter, calendar.key(now)), budgetId: budget.id, limitNanos, enforce, expiresAt: windowEnd },
        windowStart,
        windowEnd,
      };
      if (budget.per === undefined) globalApplied.set(budget, { windowStart, windowEnd, applied });
      return applied;
    }
  }
}

/**
 * Where the window of the budget's counters starts at `now` (inclusive): the calendar window's
 * start, the first ms a rolling window still counts, or 0 for counters that never end (total,
 * task, session and agent budgets; request budgets have none).
 */
export function windowStartOf(budget: NormalizedBudget, now: number): number {
  if (budget.scope !== 'daily' && budget.scope !== 'weekly' && budget.scope !== 'monthly') return 0;
  return budget.window === 'rolling' ? now - ROLLING_MS[budget.scope] + 1 : CALENDAR[budget.scope].start(now);
}

/** Whether the budget's provider, model and `where` filters let it apply to the call. */
export function matchesFilters(budget: NormalizedBudget, ctx: BucketContext): boolean {
  if (budget.provider !== undefined && budget.provider !== ctx.provider) return false;
  if (budget.model !== undefined && budget.model !== ctx.model) return false;
  return budget.where === undefined || matchesBudgetWhere(budget.where, ctx);
}

/** The counter of a total / daily / weekly / monthly budget: 'global', or its `where` and `per` value (`team=search,user=alice`). */
function counterOf(budget: NormalizedBudget, perValue: string | undefined): string {
  const parts: string[] = [];
  if (budget.where !== undefined) parts.push(describeWhere(budget.where));
  if (budget.per !== undefined) parts.push(`${budget.per}=${String(perValue)}`);
  return parts.length === 0 ? 'global' : parts.join(',');
}

/** The counter key ('global', a task id...) inside a bucket key made by applyBudget. */
export function counterKeyOf(bucketKey: string): string {
  const encoded = bucketKey.split('|')[1];
  return encoded === undefined ? bucketKey : decodeURIComponent(encoded);
}
