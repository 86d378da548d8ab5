import type { Database as SqliteDatabase } from 'better-sqlite3';
import { MS_PER_DAY } from '../../time/utcWindows.js';
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../Ledger.js';
import { UsageAccumulator } from '../UsageAccumulator.js';
import type { UsageTotals } from '../UsageAccumulator.js';
import { rollupBoundary } from '../usageDimensions.js';

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

/** The group key of a record row (rollup rows have a column of each name, '' for absent fields). */
const RECORD_GROUP_EXPR: Record<UsageGroupBy, string> = {
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
const ROLLUP_GROUP_EXPR: Record<UsageGroupBy, string> = {
  ...RECORD_GROUP_EXPR,
  task: 'task',
  session: 'session',
  agent: 'agent',
  day: 'day',
  month: 'substr(day, 1, 7)',
};

const WHERE_FIELDS = ['provider', 'model', 'task', 'session', 'agent', 'operation', 'status'] as const;
const NULLABLE = new Set<string>(['task', 'session', 'agent']);

/**
 * Aggregated usage (run it in a transaction, so that both reads see one state): whole
 * days before the prune boundary (`watermark`, see rollupBoundary) from `daily_rollups`,
 * the rest from `records`.
 */
export function queryUsage(db: SqliteDatabase, query: UsageQuery, watermark: number | undefined): UsageGroup[] {
  const acc = new UsageAccumulator();
  const boundary = rollupBoundary(watermark);

  if (Number.isFinite(boundary)) {
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
      .prepare<unknown[], GroupRow>(`SELECT ${ROLLUP_GROUP_EXPR[query.by]} AS k, ${ROLLUP_TOTALS_SQL} FROM daily_rollups WHERE ${clauses.join(' AND ')} GROUP BY k`)
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
  const rows = db
    .prepare<unknown[], GroupRow>(`SELECT ${RECORD_GROUP_EXPR[query.by]} AS k, ${RECORD_TOTALS_SQL} FROM records ${where} GROUP BY k`)
    .all(...params);
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
  return { sql, params };
}
