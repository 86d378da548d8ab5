import type { UsageTotals } from '../ledger/UsageAccumulator.js';
import { displayUsd } from './displayUsd.js';
import { formatCount } from './formatCount.js';

/** Column title for a `by` field: 'model' → 'Model', 'day' → 'Day (UTC)', 'month' → 'Month (UTC)'. */
export function groupTitle(by: string): string {
  if (by === 'day') return 'Day (UTC)';
  if (by === 'month') return 'Month (UTC)';
  if (by === 'apiKey') return 'API key (hash)';
  if (by.startsWith('metadata.')) return by;
  return by.length === 0 ? 'Key' : by.charAt(0).toUpperCase() + by.slice(1);
}

/** A group's key for display: records without the field are grouped under ''. */
export function groupLabel(key: string): string {
  return key === '' ? '(none)' : key;
}


/** One row of a usage table: label, calls, errors, input and output tokens, cost. */
export function groupCells(label: string, t: UsageTotals): string[] {
  return [
    label,
    formatCount(t.calls),
    formatCount(t.errors),
    formatCount(t.inputTokens),
    formatCount(t.outputTokens),
    displayUsd(t.costNanos),
  ];
}
