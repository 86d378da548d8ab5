import { diag } from '@opentelemetry/api';
import type { Database as SqliteDatabase } from 'better-sqlite3';

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = 5;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  time INTEGER NOT NULL,
  trace_id TEXT,
  span_id TEXT,
  request_id TEXT,
  task TEXT,
  session TEXT,
  agent TEXT,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  operation TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_nanos INTEGER NOT NULL,
  status TEXT NOT NULL,
  metadata TEXT
);
CREATE INDEX IF NOT EXISTS records_time ON records (time);
CREATE INDEX IF NOT EXISTS records_trace ON records (trace_id);
CREATE INDEX IF NOT EXISTS records_task ON records (task, time);
CREATE INDEX IF NOT EXISTS records_session ON records (session, time);

-- Fixed and calendar-window buckets: a counter that only grows.
CREATE TABLE IF NOT EXISTS bucket_counters (
  bucket_key TEXT PRIMARY KEY,
  spent_nanos INTEGER NOT NULL,
  expires_at INTEGER
);

-- Rolling-window buckets: settled amounts per bucket and record time (exact to the ms).
CREATE TABLE IF NOT EXISTS rolling_entries (
  bucket_key TEXT NOT NULL,
  time INTEGER NOT NULL,
  rolling_ms INTEGER NOT NULL,
  amount_nanos INTEGER NOT NULL,
  PRIMARY KEY (bucket_key, time)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY,
  amount_nanos INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_expiry ON reservations (expires_at);
CREATE TABLE IF NOT EXISTS reservation_buckets (
  bucket_key TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  PRIMARY KEY (bucket_key, reservation_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reservation_buckets_id ON reservation_buckets (reservation_id);

-- Per-day totals of every record ever settled; pruning records never touches them.
CREATE TABLE IF NOT EXISTS daily_rollups (
  day TEXT NOT NULL,
  day_start INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  operation TEXT NOT NULL,
  status TEXT NOT NULL,
  task TEXT NOT NULL,
  session TEXT NOT NULL,
  agent TEXT NOT NULL,
  calls INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_nanos INTEGER NOT NULL,
  PRIMARY KEY (day, provider, model, operation, status, task, session, agent)
);

CREATE TABLE IF NOT EXISTS budgets (
  id TEXT PRIMARY KEY,
  spec TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

/**
 * v2: each bucket counter keeps the sum of its live reservations (`reserved_nanos`), so a
 * reservation or a state read is O(1) whatever the number of calls in flight (v1 summed the
 * reservations each time). Counters are created for buckets that only hold reservations, and
 * the sums are computed from the reservations v1 left.
 */
const MIGRATE_V2 = `
ALTER TABLE bucket_counters ADD COLUMN reserved_nanos INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO bucket_counters (bucket_key, spent_nanos, expires_at, reserved_nanos)
  SELECT DISTINCT bucket_key, 0, NULL, 0 FROM reservation_buckets;
UPDATE bucket_counters SET reserved_nanos = (
  SELECT COALESCE(SUM(r.amount_nanos), 0) FROM reservation_buckets rb JOIN reservations r ON r.id = rb.reservation_id
  WHERE rb.bucket_key = bucket_counters.bucket_key);
`;

/**
 * v3: the attribution dimensions of a record (user, team, the API key's hash, tags as a JSON
 * array); the caller's metadata keys share the `metadata` column with tollgate's own. Adds only
 * the columns a file lacks, so it can run again on a file that has them.
 */
function migrateV3(db: SqliteDatabase): void {
  const have = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(records)').all().map((c) => c.name));
  for (const column of ['user_id', 'team', 'api_key_hash', 'tags']) {
    if (!have.has(column)) db.exec(`ALTER TABLE records ADD COLUMN ${column} TEXT`);
  }
}

/** The table of reservations from v4 on: one row per ledger instance (a process's SqliteLedger) and bucket. */
const HOLDS_TABLE = `
CREATE TABLE IF NOT EXISTS bucket_holds (
  bucket_key TEXT NOT NULL,
  instance TEXT NOT NULL,
  reserved_nanos INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (bucket_key, instance)
) WITHOUT ROWID;
`;

/**
 * v4: reservations are held per process. Each SqliteLedger keeps its live reservations in memory
 * and one `bucket_holds` row per bucket (their sum, the latest expiry), so a reserve or settle
 * writes no row of its own. The reservations of an older file become one row each per bucket
 * (instance `legacy:<id>`): they count until they expire, and settling or releasing their id
 * still drops them. The records indexes that no query of the ledger uses (trace, task, session)
 * are dropped: each cost every settlement a write. Runs again safely on a file that has v4's layout.
 */
function migrateV4(db: SqliteDatabase): void {
  db.exec(HOLDS_TABLE);
  const tables = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((t) => t.name));
  if (tables.has('reservations') && tables.has('reservation_buckets')) {
    db.exec(`
      INSERT OR REPLACE INTO bucket_holds (bucket_key, instance, reserved_nanos, expires_at)
        SELECT rb.bucket_key, 'legacy:' || r.id, r.amount_nanos, r.expires_at
        FROM reservation_buckets rb JOIN reservations r ON r.id = rb.reservation_id;
      DROP TABLE reservation_buckets;
      DROP TABLE reservations;
    `);
  }
  const counterColumns = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(bucket_counters)').all().map((c) => c.name));
  if (counterColumns.has('reserved_nanos')) db.exec('ALTER TABLE bucket_counters DROP COLUMN reserved_nanos');
  db.exec('DROP INDEX IF EXISTS records_trace; DROP INDEX IF EXISTS records_task; DROP INDEX IF EXISTS records_session;');
}

/**
 * v5: a record is unique on (time, id), no longer on its id alone. The id's own index put every
 * settlement at a random place in a B-tree as large as the history kept (30 days by default): each
 * insert dirtied a page of its own for the WAL and, once the index outgrew the cache, read one
 * (benchmark 2b as an A/B, bench/analysis.md: a reserve + settle pair 0.38× the time on an empty
 * file, 0.14× with 1,000,000 records stored). (time, id) grows at its end, and serves the time
 * range queries `records_time` served. The table is rebuilt (rowids kept, so the order of equal
 * times stays).
 */
function migrateV5(db: SqliteDatabase): void {
  const stored = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM records').get()?.n ?? 0;
  if (stored >= LARGE_REBUILD) diag.warn(`tollgate: rebuilding the records table of the SQLite ledger for schema 5 (${stored} records, once; the file stays locked until it is done)`);
  const columns = RECORDS_V5_COLUMNS.map(([name]) => name).join(', ');
  db.exec(`
    CREATE TABLE records_v5 (${RECORDS_V5_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')});
    INSERT INTO records_v5 (rowid, ${columns}) SELECT rowid, ${columns} FROM records;
    DROP TABLE records;
    ALTER TABLE records_v5 RENAME TO records;
    CREATE UNIQUE INDEX records_time_id ON records (time, id);
  `);
}

/** A rebuild of this many records or more is announced (it holds the file's write lock for seconds). */
const LARGE_REBUILD = 500_000;

/** The columns of `records` from v5 on, with their types (v1's and v3's, `id` no longer the primary key). */
const RECORDS_V5_COLUMNS: readonly [string, string][] = [
  ['id', 'TEXT NOT NULL'],
  ['time', 'INTEGER NOT NULL'],
  ['trace_id', 'TEXT'],
  ['span_id', 'TEXT'],
  ['request_id', 'TEXT'],
  ['task', 'TEXT'],
  ['session', 'TEXT'],
  ['agent', 'TEXT'],
  ['provider', 'TEXT NOT NULL'],
  ['model', 'TEXT NOT NULL'],
  ['operation', 'TEXT NOT NULL'],
  ['input_tokens', 'INTEGER NOT NULL'],
  ['output_tokens', 'INTEGER NOT NULL'],
  ['cache_read_tokens', 'INTEGER NOT NULL'],
  ['cache_write_tokens', 'INTEGER NOT NULL'],
  ['reasoning_tokens', 'INTEGER NOT NULL'],
  ['cost_nanos', 'INTEGER NOT NULL'],
  ['status', 'TEXT NOT NULL'],
  ['metadata', 'TEXT'],
  ['user_id', 'TEXT'],
  ['team', 'TEXT'],
  ['api_key_hash', 'TEXT'],
  ['tags', 'TEXT'],
];

/** Each migration, by the version it brings the file to. */
const MIGRATIONS: readonly [version: number, sql: string | ((db: SqliteDatabase) => void)][] = [
  [1, SCHEMA_V1],
  [2, MIGRATE_V2],
  [3, migrateV3],
  [4, migrateV4],
  [5, migrateV5],
];

/**
 * Brings the database at `path` to SQLITE_SCHEMA_VERSION, one IMMEDIATE transaction per
 * version; each reads the version again under the write lock, so processes that open a file at
 * the same time run each migration once. A file written by a newer tollgate is closed and
 * refused, saying what to do.
 */
export function migrateSchema(db: SqliteDatabase, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const version = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version').get()?.version ?? 0;
  if (version > SQLITE_SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `tollgate: the SQLite ledger at ${path} has schema version ${version}, newer than this tollgate ` +
        `understands (${SQLITE_SCHEMA_VERSION}); upgrade tollgate or point the store at another file`,
    );
  }
  const current = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version');
  for (const [target, sql] of MIGRATIONS) {
    if (version >= target) continue;
    db.transaction(() => {
      // Read again under the write lock: another process opening the file at the same time may have run it.
      if ((current.get()?.version ?? 0) >= target) return;
      if (typeof sql === 'string') db.exec(sql);
      else sql(db);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(target);
    }).immediate();
  }
}
