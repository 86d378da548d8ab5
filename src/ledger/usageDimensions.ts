import { utcDayKey, utcDayStart, utcNextDayStart } from '../time/utcWindows.js';
import type { UsageGroupBy, UsageQuery } from './Ledger.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import type { UsageTotals } from './UsageAccumulator.js';

/**
 * The fields a usage record can be grouped or filtered by, as strings
 * ('' when the record does not carry the field). Daily rollups are keyed by these.
 */
export interface UsageDimensions {
  day: string;
  provider: string;
  model: string;
  operation: string;
  status: string;
  task: string;
  session: string;
  agent: string;
}

export function dimensionsOf(record: UsageRecord): UsageDimensions {
  return {
    day: utcDayKey(record.time),
    provider: record.provider,
    model: record.model,
    operation: record.operation,
    status: record.status,
    task: record.task ?? '',
    session: record.session ?? '',
    agent: record.agent ?? '',
  };
}

export function totalsOf(record: UsageRecord): UsageTotals {
  return {
    calls: 1,
    errors: record.status === 'error' ? 1 : 0,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    cacheReadTokens: record.cacheReadTokens,
    cacheWriteTokens: record.cacheWriteTokens,
    reasoningTokens: record.reasoningTokens,
    costNanos: record.costNanos,
  };
}

export function groupKeyOf(dims: UsageDimensions, by: UsageGroupBy): string {
  // `YYYY-MM` is the start of `YYYY-MM-DD`, so months also come from daily rollups.
  return by === 'month' ? dims.day.slice(0, 7) : dims[by];
}

/** true when every field given in `where` equals the record's value ('' matches an absent field). */
export function matchesWhere(dims: UsageDimensions, where: UsageQuery['where']): boolean {
  if (where === undefined) return true;
  for (const field of ['provider', 'model', 'task', 'session', 'agent', 'operation', 'status'] as const) {
    const wanted = where[field];
    if (wanted !== undefined && dims[field] !== wanted) return false;
  }
  return true;
}

/**
 * After pruning up to `watermark`, usage is answered from daily rollups for every UTC
 * day that starts before the returned boundary (whole days), and from records at or
 * after it. The boundary is the first 00:00 UTC at or after the watermark.
 */
export function rollupBoundary(watermark: number | undefined): number {
  if (watermark === undefined) return Number.NEGATIVE_INFINITY;
  return utcDayStart(watermark) === watermark ? watermark : utcNextDayStart(watermark);
}

/** Does the UTC day starting at `dayStart` overlap [since, until)? */
export function dayOverlaps(dayStart: number, since: number | undefined, until: number | undefined): boolean {
  return (since === undefined || utcNextDayStart(dayStart) > since) && (until === undefined || dayStart < until);
}
