import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { RECORD_COLUMNS, RECORD_PLACEHOLDERS } from './recordRow.js';

/** The statements the SQLite ledger runs on every call, prepared once. */
export interface SqliteStatements {
  firstExpiry: Statement<[], { m: number | null }>;
  expiredReservations: Statement<[number], { id: string }>;
  reservationAmount: Statement<[string], { a: number }>;
  reservationBuckets: Statement<[string], { k: string }>;
  addReserved: Statement<[number, string]>;
  ensureCounter: Statement<[string, number | null]>;
  deleteReservationBuckets: Statement<[string]>;
  deleteReservation: Statement<[string]>;
  insertReservation: Statement<[string, number, number]>;
  insertReservationBucket: Statement<[string, string]>;
  counterState: Statement<[string], { s: number; r: number }>;
  rollingSpent: Statement<[string, number, number], { n: number }>;
  insertRecord: Statement<(string | number | null)[]>;
  upsertRollup: Statement<(string | number)[]>;
  addCounter: Statement<[string, number, number | null]>;
  addRolling: Statement<[string, number, number, number]>;
  deleteRecordsBefore: Statement<[number]>;
  deleteEndedCounters: Statement<[number]>;
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
    firstExpiry: db.prepare('SELECT MIN(expires_at) AS m FROM reservations'),
    expiredReservations: db.prepare('SELECT id FROM reservations WHERE expires_at <= ?'),
    reservationAmount: db.prepare('SELECT amount_nanos AS a FROM reservations WHERE id = ?'),
    reservationBuckets: db.prepare('SELECT bucket_key AS k FROM reservation_buckets WHERE reservation_id = ?'),
    addReserved: db.prepare('UPDATE bucket_counters SET reserved_nanos = reserved_nanos + ? WHERE bucket_key = ?'),
    ensureCounter: db.prepare(
      'INSERT OR IGNORE INTO bucket_counters (bucket_key, spent_nanos, expires_at, reserved_nanos) VALUES (?, 0, ?, 0)',
    ),
    deleteReservationBuckets: db.prepare('DELETE FROM reservation_buckets WHERE reservation_id = ?'),
    deleteReservation: db.prepare('DELETE FROM reservations WHERE id = ?'),
    insertReservation: db.prepare('INSERT INTO reservations (id, amount_nanos, expires_at) VALUES (?, ?, ?)'),
    insertReservationBucket: db.prepare('INSERT OR IGNORE INTO reservation_buckets (bucket_key, reservation_id) VALUES (?, ?)'),
    counterState: db.prepare('SELECT spent_nanos AS s, reserved_nanos AS r FROM bucket_counters WHERE bucket_key = ?'),
    rollingSpent: db.prepare(
      'SELECT COALESCE(SUM(amount_nanos), 0) AS n FROM rolling_entries WHERE bucket_key = ? AND time > ? AND time <= ?',
    ),
    insertRecord: db.prepare<(string | number | null)[]>(
      `INSERT OR IGNORE INTO records (${RECORD_COLUMNS}) VALUES (${RECORD_PLACEHOLDERS})`,
    ),
    upsertRollup: db.prepare<(string | number)[]>(
      `INSERT INTO daily_rollups (day, day_start, provider, model, operation, status, task, session, agent, calls, errors,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, provider, model, operation, status, task, session, agent) DO UPDATE SET
         calls = calls + 1, errors = errors + excluded.errors,
         input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
         cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
         cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
         reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, cost_nanos = cost_nanos + excluded.cost_nanos`,
    ),
    addCounter: db.prepare(
      `INSERT INTO bucket_counters (bucket_key, spent_nanos, expires_at, reserved_nanos) VALUES (?, ?, ?, 0)
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
    // A counter still holding live reservations stays until they are settled, released or expired.
    deleteEndedCounters: db.prepare('DELETE FROM bucket_counters WHERE expires_at IS NOT NULL AND expires_at <= ? AND reserved_nanos = 0'),
    deleteOldRollingEntries: db.prepare('DELETE FROM rolling_entries WHERE time + rolling_ms <= ?'),
    listBudgets: db.prepare('SELECT id, spec FROM budgets ORDER BY id'),
    putBudget: db.prepare('INSERT INTO budgets (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec'),
    deleteBudget: db.prepare('DELETE FROM budgets WHERE id = ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    ping: db.prepare('SELECT 1'),
  };
}
