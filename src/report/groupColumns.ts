import type { UsageGroup } from '../ledger/Ledger.js';

/** Column title for a `by` field: 'model' → 'Model', 'day' → 'Day (UTC)'. */
export function groupTitle(by: string): string {
  if (by === 'day') return 'Day (UTC)';
  return by.length === 0 ? 'Key' : by.charAt(0).toUpperCase() + by.slice(1);
}

/** A group's key for display: records without the field are grouped under ''. */
export function groupLabel(key: string): string {
  return key === '' ? '(none)' : key;
}

/** Column sums; the cost is summed as integer nanos. */
export function sumGroups(groups: readonly UsageGroup[]): Omit<UsageGroup, 'key'> {
  const total = {
    calls: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
  };
  for (const g of groups) {
    total.calls += g.calls;
    total.errors += g.errors;
    total.inputTokens += g.inputTokens;
    total.outputTokens += g.outputTokens;
    total.cacheReadTokens += g.cacheReadTokens;
    total.cacheWriteTokens += g.cacheWriteTokens;
    total.reasoningTokens += g.reasoningTokens;
    total.costNanos += g.costNanos;
  }
  return total;
}
