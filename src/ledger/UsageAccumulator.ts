import type { UsageGroup, UsageGroupBy } from './Ledger.js';

/** The additive part of a UsageGroup. */
export type UsageTotals = Omit<UsageGroup, 'key'>;

/**
 * Sums usage rows into groups and returns them in the order every Ledger uses:
 * for `day` and `month`, key ascending; otherwise costNanos descending, then key ascending.
 */
export class UsageAccumulator {
  private readonly groups = new Map<string, UsageGroup>();

  /** Adds `totals` to the group `key`, or to each of several groups (a record with two tags counts in both). */
  add(key: string | readonly string[], totals: UsageTotals): void {
    if (typeof key !== 'string') {
      for (const k of key) this.add(k, totals);
      return;
    }
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, { key, ...totals });
      return;
    }
    addTotals(group, totals);
  }

  result(by: UsageGroupBy): UsageGroup[] {
    return sortUsageGroups([...this.groups.values()], by);
  }
}

/** Column sums of usage groups (cost summed as integer nanos). */
export function sumUsage(groups: readonly UsageTotals[]): UsageTotals {
  const total: UsageTotals = {
    calls: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
  };
  for (const g of groups) addTotals(total, g);
  return total;
}

/** Adds `t` into `target`, field by field. */
export function addTotals(target: UsageTotals, t: UsageTotals): void {
  target.calls += t.calls;
  target.errors += t.errors;
  target.inputTokens += t.inputTokens;
  target.outputTokens += t.outputTokens;
  target.cacheReadTokens += t.cacheReadTokens;
  target.cacheWriteTokens += t.cacheWriteTokens;
  target.reasoningTokens += t.reasoningTokens;
  target.costNanos += t.costNanos;
}

/** Sorts in place and returns the array: `day` and `month` by key ascending, others by cost descending then key. */
export function sortUsageGroups(groups: UsageGroup[], by: UsageGroupBy): UsageGroup[] {
  if (by === 'day' || by === 'month') return groups.sort((a, b) => compareKeys(a.key, b.key));
  return groups.sort((a, b) => b.costNanos - a.costNanos || compareKeys(a.key, b.key));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
