import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { RECORD_COLUMNS, RECORD_PLACEHOLDERS } from './recordRow.js';

/** The statements the SQLite ledger runs on every call, prepared once. */
export interface SqliteStatements {
  counterSpent: Statement<[string], { s: number }>;
  otherHolds: Statement<[string, string, string], { r: number; e: number; i: string }>;
  upsertHold: Statement<[string, string, number, number]>;
  deleteHold: Statement<[string, string]>;
  deleteInstanceHolds: Statement<[string]>;
  deleteExpiredHolds: Statement<[number, string, string]>;
  heldKeys: Statement<[number, string], { k: string }>;
  endedCounters: Statement<[number], { k: string }>;
  deleteCounter: Statement<[string]>;
  rollingSpent: Statement<[string, number, number], { n: number }>;
  rollingAny: Statement<[string], { x: number }>;
  insertRecord: Statement<(string | number | null)[]>;
  upsertRollup: Statement<(string | number)[]>;
  addCounter: Statement<[string, number, number | null]>;
  addRolling: Statement<[string, number, number, number]>;
  deleteRecordsBefore: Statement<[number]>;
  deleteOldRollingEntries: Statement<[number]>;
  listBudgets: Statement<[], { id: string; spec: string }>;
  putBudget: Statement<[string, string]>;
  deleteBudget: Statement<[string]>;
  getMeta: Statement<[string], { value: number }>;
  setMeta: Statement<[string, number]>;
  ping: Statement<[], unknown>;
}

/** Prepares every statement of SqliteStatements on `db` (whose schema is current). */
export function prepareStatements(db: SqliteDatabase): SqliteStatements {
  return {
    counterSpent: db.prepare('SELECT spent_nanos AS s FROM bucket_counters WHERE bucket_key = ?'),
    otherHolds: db.prepare('SELECT reserved_nanos AS r, expires_at AS e, instance AS i FROM bucket_holds WHERE bucket_key = ? AND instance NOT IN (?, ?)'),
    upsertHold: db.prepare(
      `INSERT INTO bucket_holds (bucket_key, instance, reserved_nanos, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (bucket_key, instance) DO UPDATE SET reserved_nanos = excluded.reserved_nanos, expires_at = excluded.expires_at`,
    ),
    deleteHold: db.prepare('DELETE FROM bucket_holds WHERE bucket_key = ? AND instance = ?'),
    deleteInstanceHolds: db.prepare('DELETE FROM bucket_holds WHERE instance = ?'),
    deleteExpiredHolds: db.prepare('DELETE FROM bucket_holds WHERE expires_at <= ? AND instance NOT IN (?, ?)'),
    heldKeys: db.prepare('SELECT DISTINCT bucket_key AS k FROM bucket_holds WHERE expires_at > ? AND instance != ?'),
    endedCounters: db.prepare('SELECT bucket_key AS k FROM bucket_counters WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    deleteCounter: db.prepare('DELETE FROM bucket_counters WHERE bucket_key = ?'),
    rollingSpent: db.prepare(
      'SELECT COALESCE(SUM(amount_nanos), 0) AS n FROM rolling_entries WHERE bucket_key = ? AND time > ? AND time <= ?',
    ),
    rollingAny: db.prepare('SELECT 1 AS x FROM rolling_entries WHERE bucket_key = ? LIMIT 1'),
    insertRecord: db.prepare<(string | number | null)[]>(
      `INSERT OR IGNORE INTO records (${RECORD_COLUMNS}) VALUES (${RECORD_PLACEHOLDERS})`,
    ),
    upsertRollup: db.prepare<(string | number)[]>(
      `INSERT INTO daily_rollups (day, day_start, provider, model, operation, status, task, session, agent, calls, errors,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, provider, model, operation, status, task, session, agent) DO UPDATE SET
         calls = calls + excluded.calls, errors = errors + excluded.errors,
         input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
         cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
         cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
         reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, cost_nanos = cost_nanos + excluded.cost_nanos`,
    ),
    addCounter: db.prepare(
      `INSERT INTO bucket_counters (bucket_key, spent_nanos, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (bucket_key) DO UPDATE SET spent_nanos = spent_nanos + excluded.spent_nanos,
         expires_at = CASE WHEN excluded.expires_at IS NULL THEN expires_at
                           WHEN expires_at IS NULL THEN excluded.expires_at
                           ELSE MAX(expires_at, excluded.expires_at) END`,
    ),
    addRolling: db.prepare(
      `INSERT INTO rolling_entries (bucket_key, time, rolling_ms, amount_nanos) VALUES (?, ?, ?, ?)
       ON CONFLICT (bucket_key, time) DO UPDATE SET amount_nanos = amount_nanos + excluded.amount_nanos,
         rolling_ms = MAX(rolling_ms, excluded.rolling_ms)`,
    ),
    deleteRecordsBefore: db.prepare('DELETE FROM records WHERE time < ?'),
    deleteOldRollingEntries: db.prepare('DELETE FROM rolling_entries WHERE time + rolling_ms <= ?'),
    listBudgets: db.prepare('SELECT id, spec FROM budgets ORDER BY id'),
    putBudget: db.prepare('INSERT INTO budgets (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec'),
    deleteBudget: db.prepare('DELETE FROM budgets WHERE id = ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    ping: db.prepare('SELECT 1'),
  };
}
