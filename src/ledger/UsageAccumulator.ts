import type { UsageGroup, UsageGroupBy } from './Ledger.js';

/** The additive part of a UsageGroup. */
export type UsageTotals = Omit<UsageGroup, 'key'>;

/**
 * Sums usage rows into groups and returns them in the order every Ledger uses:
 * for `day`, key ascending; otherwise costNanos descending, then key ascending.
 */
export class UsageAccumulator {
  private readonly groups = new Map<string, UsageGroup>();

  add(key: string, totals: UsageTotals): void {
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, { key, ...totals });
      return;
    }
    group.calls += totals.calls;
    group.errors += totals.errors;
    group.inputTokens += totals.inputTokens;
    group.outputTokens += totals.outputTokens;
    group.cacheReadTokens += totals.cacheReadTokens;
    group.cacheWriteTokens += totals.cacheWriteTokens;
    group.reasoningTokens += totals.reasoningTokens;
    group.costNanos += totals.costNanos;
  }

  result(by: UsageGroupBy): UsageGroup[] {
    return sortUsageGroups([...this.groups.values()], by);
  }
}

/** Sorts in place and returns the array: `day` by key ascending, others by cost descending then key. */
export function sortUsageGroups(groups: UsageGroup[], by: UsageGroupBy): UsageGroup[] {
  if (by === 'day') return groups.sort((a, b) => compareKeys(a.key, b.key));
  return groups.sort((a, b) => b.costNanos - a.costNanos || compareKeys(a.key, b.key));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
