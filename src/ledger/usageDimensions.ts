import { apiKeyHash } from '../core/apiKeyHash.js';
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
  user: string;
  team: string;
  /** The API key's hash. */
  apiKey: string;
  tags: readonly string[];
  /** Record metadata (tollgate's keys and the caller's), values as strings. */
  metadata: Readonly<Record<string, string>>;
}

const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

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
    user: record.user ?? '',
    team: record.team ?? '',
    apiKey: record.apiKeyHash ?? '',
    tags: record.tags ?? NO_TAGS,
    metadata: record.metadata === undefined ? NO_METADATA : metadataStrings(record.metadata),
  };
}

/** Metadata values as strings (tollgate writes a few booleans and numbers). */
export function metadataStrings(metadata: Readonly<Record<string, string | number | boolean>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(metadata)) out[key] = String(metadata[key]);
  return out;
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

/** The metadata key of a `metadata.<key>` grouping or filter; undefined for any other field. */
export function metadataKeyOf(field: string): string | undefined {
  return field.startsWith('metadata.') ? field.slice('metadata.'.length) : undefined;
}

/** Whether a grouping or filter reads an attribution dimension (user, team, apiKey, tag, metadata.<key>). */
export function isAttributionField(field: string): boolean {
  return field === 'user' || field === 'team' || field === 'apiKey' || field === 'tag' || field.startsWith('metadata.');
}

/** The group key of a record: one string, or for `tag` one per tag (['']: no tags). */
export function groupKeyOf(dims: UsageDimensions, by: UsageGroupBy): string | readonly string[] {
  switch (by) {
    // `YYYY-MM` is the start of `YYYY-MM-DD`, so months also come from daily rollups.
    case 'month':
      return dims.day.slice(0, 7);
    case 'tag':
      return dims.tags.length === 0 ? '' : dims.tags;
    default: {
      const key = metadataKeyOf(by);
      return key === undefined ? dims[by as Exclude<UsageGroupBy, 'month' | 'tag' | `metadata.${string}`>] : (dims.metadata[key] ?? '');
    }
  }
}

/** true when every field given in `where` equals the record's value ('' matches an absent field). */
export function matchesWhere(dims: UsageDimensions, where: UsageQuery['where']): boolean {
  if (where === undefined) return true;
  for (const field of Object.keys(where) as (keyof NonNullable<UsageQuery['where']>)[]) {
    const wanted = where[field];
    if (wanted === undefined) continue;
    switch (field) {
      case 'tag':
        if (wanted === '' ? dims.tags.length > 0 : !dims.tags.includes(wanted)) return false;
        break;
      case 'apiKey':
        if (dims.apiKey !== (wanted === '' ? '' : apiKeyHash(wanted))) return false;
        break;
      case 'provider':
      case 'model':
      case 'task':
      case 'session':
      case 'agent':
      case 'operation':
      case 'status':
      case 'user':
      case 'team':
        if (dims[field] !== wanted) return false;
        break;
      default: {
        const key = metadataKeyOf(field);
        if (key !== undefined && (dims.metadata[key] ?? '') !== wanted) return false;
      }
    }
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
