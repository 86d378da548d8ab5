import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { UsageRecord } from '../../core/UsageRecord.js';
import type { RecordQuery } from '../Ledger.js';
import { rowToRecord } from './recordRow.js';
import type { RecordRow } from './recordRow.js';

/**
 * Records matching the query, newest first (equal times: last written first), at most `limit` (default 100).
 * Only `time` is indexed: the trace, task and session filters are checked on the rows read newest first
 * (no caller in tollgate reads records by them, and each index cost every settlement a write).
 */
export function queryRecords(db: SqliteDatabase, query: RecordQuery): UsageRecord[] {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (query.since !== undefined) {
    clauses.push('time >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    clauses.push('time < ?');
    params.push(query.until);
  }
  for (const [field, column] of [['traceId', 'trace_id'], ['task', 'task'], ['session', 'session']] as const) {
    const value = query[field];
    if (value !== undefined) {
      clauses.push(`${column} = ?`);
      params.push(value);
    }
  }
  params.push(query.limit ?? 100);
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db
    .prepare<unknown[], RecordRow>(`SELECT * FROM records ${where} ORDER BY time DESC, rowid DESC LIMIT ?`)
    .all(...params)
    .map(rowToRecord);
}
