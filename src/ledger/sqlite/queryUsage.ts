import type { Database as SqliteDatabase } from 'better-sqlite3';
import { MS_PER_DAY } from '../../time/utcWindows.js';
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../Ledger.js';
import { UsageAccumulator } from '../UsageAccumulator.js';
import type { UsageTotals } from '../UsageAccumulator.js';
import { apiKeyHash } from '../../core/apiKeyHash.js';
import { isAttributionField, metadataKeyOf, rollupBoundary } from '../usageDimensions.js';

interface GroupRow extends UsageTotals {
  k: string;
}

const RECORD_TOTALS_SQL = `COUNT(*) AS calls, SUM(status = 'error') AS errors,
  SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
  SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
  SUM(reasoning_tokens) AS reasoningTokens, SUM(cost_nanos) AS costNanos`;

const ROLLUP_TOTALS_SQL = `SUM(calls) AS calls, SUM(errors) AS errors,
  SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
  SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
  SUM(reasoning_tokens) AS reasoningTokens, SUM(cost_nanos) AS costNanos`;

type PlainGroupBy = Exclude<UsageGroupBy, 'user' | 'team' | 'apiKey' | 'tag' | `metadata.${string}`>;

/** The group key of a record row (rollup rows have a column of each name, '' for absent fields). */
const RECORD_GROUP_EXPR: Record<PlainGroupBy, string> = {
  model: 'model',
  provider: 'provider',
  operation: 'operation',
  status: 'status',
  task: "COALESCE(task, '')",
  session: "COALESCE(session, '')",
  agent: "COALESCE(agent, '')",
  day: "strftime('%Y-%m-%d', time / 1000, 'unixepoch')",
  month: "strftime('%Y-%m', time / 1000, 'unixepoch')",
};

/** The group key of a daily rollup row. */
const ROLLUP_GROUP_EXPR: Record<PlainGroupBy, string> = {
  ...RECORD_GROUP_EXPR,
  task: 'task',
  session: 'session',
  agent: 'agent',
  day: 'day',
  month: 'substr(day, 1, 7)',
};

const WHERE_FIELDS = ['provider', 'model', 'task', 'session', 'agent', 'operation', 'status'] as const;
const NULLABLE = new Set<string>(['task', 'session', 'agent']);

/** The attribution columns of `records` ('' for NULL). */
const DIMENSION_EXPR = { user: "COALESCE(user_id, '')", team: "COALESCE(team, '')", apiKey: "COALESCE(api_key_hash, '')" } as const;
/** One metadata value as text, as dimensionsOf makes it (booleans `true` / `false`); two `$."key"` path parameters. */
const METADATA_EXPR = "CASE json_type(metadata, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE COALESCE(CAST(json_extract(metadata, ?) AS TEXT), '') END";

/** The JSON path of a metadata key (keys are checked against METADATA_KEY_PATTERN: no quote can occur). */
function metadataPath(key: string): string {
  return `$."${key}"`;
}

/** The SELECT of a record grouping: its key expression, the join it needs, the expression's parameters. */
function recordGroup(by: UsageGroupBy): { expr: string; join: string; params: string[] } {
  if (by === 'tag') return { expr: "COALESCE(tg.value, '')", join: 'LEFT JOIN json_each(records.tags) AS tg', params: [] };
  if (by === 'user' || by === 'team' || by === 'apiKey') return { expr: DIMENSION_EXPR[by], join: '', params: [] };
  const key = metadataKeyOf(by);
  if (key !== undefined) return { expr: METADATA_EXPR, join: '', params: [metadataPath(key), metadataPath(key)] };
  return { expr: RECORD_GROUP_EXPR[by as PlainGroupBy], join: '', params: [] };
}

/**
 * Aggregated usage (run it in a transaction, so that both reads see one state): whole
 * days before the prune boundary (`watermark`, see rollupBoundary) from `daily_rollups`,
 * the rest from `records`.
 */
export function queryUsage(db: SqliteDatabase, query: UsageQuery, watermark: number | undefined): UsageGroup[] {
  const acc = new UsageAccumulator();
  const boundary = rollupBoundary(watermark);
  // The daily rollups do not hold the attribution dimensions: such a query reads the records kept.
  const attributed = isAttributionField(query.by) || Object.keys(query.where ?? {}).some(isAttributionField);

  if (Number.isFinite(boundary) && !attributed) {
    const w = whereClauses(query, false);
    const clauses = ['day_start < ?', ...w.sql];
    const params: (string | number)[] = [boundary, ...w.params];
    if (query.since !== undefined) {
      clauses.push('day_start > ?');
      params.push(query.since - MS_PER_DAY);
    }
    if (query.until !== undefined) {
      clauses.push('day_start < ?');
      params.push(query.until);
    }
    const rows = db
      .prepare<unknown[], GroupRow>(`SELECT ${ROLLUP_GROUP_EXPR[query.by as PlainGroupBy]} AS k, ${ROLLUP_TOTALS_SQL} FROM daily_rollups WHERE ${clauses.join(' AND ')} GROUP BY k`)
      .all(...params);
    for (const { k, ...totals } of rows) acc.add(k, totals);
  }

  const w = whereClauses(query, true);
  const clauses = [...w.sql];
  const params: (string | number)[] = [...w.params];
  const since = Math.max(query.since ?? Number.NEGATIVE_INFINITY, boundary);
  if (Number.isFinite(since)) {
    clauses.push('time >= ?');
    params.push(since);
  }
  if (query.until !== undefined) {
    clauses.push('time < ?');
    params.push(query.until);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  const group = recordGroup(query.by);
  const rows = db
    .prepare<unknown[], GroupRow>(`SELECT ${group.expr} AS k, ${RECORD_TOTALS_SQL} FROM records ${group.join} ${where} GROUP BY k`)
    .all(...group.params, ...params);
  for (const { k, ...totals } of rows) acc.add(k, totals);
  return acc.result(query.by);
}

/** Equality on each `where` field given; record rows hold NULL for an absent task, session or agent. */
function whereClauses(query: UsageQuery, nullableAsEmpty: boolean): { sql: string[]; params: string[] } {
  const sql: string[] = [];
  const params: string[] = [];
  for (const field of WHERE_FIELDS) {
    const value = query.where?.[field];
    if (value === undefined) continue;
    sql.push(nullableAsEmpty && NULLABLE.has(field) ? `COALESCE(${field}, '') = ?` : `${field} = ?`);
    params.push(value);
  }
  if (!nullableAsEmpty) return { sql, params };
  for (const [field, value] of Object.entries(query.where ?? {})) {
    if (value === undefined) continue;
    if (field === 'user' || field === 'team' || field === 'apiKey') {
      sql.push(`${DIMENSION_EXPR[field]} = ?`);
      params.push(field === 'apiKey' && value !== '' ? apiKeyHash(value) : value);
    } else if (field === 'tag') {
      if (value === '') sql.push('records.tags IS NULL');
      else {
        sql.push('EXISTS (SELECT 1 FROM json_each(records.tags) WHERE json_each.value = ?)');
        params.push(value);
      }
    } else {
      const key = metadataKeyOf(field);
      if (key === undefined) continue;
      sql.push(`${METADATA_EXPR} = ?`);
      params.push(metadataPath(key), metadataPath(key), value);
    }
  }
  return { sql, params };
}
