import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { MS_PER_DAY } from '../time/utcWindows.js';
import type { Bucket, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, StoredBudget, UsageGroup, UsageGroupBy, UsageQuery } from './Ledger.js';
import type { UsageRecord, UsageStatus } from '../core/UsageRecord.js';
import { distinctBuckets } from './distinctBuckets.js';
import { LedgerClosedError } from './LedgerClosedError.js';
import { UsageAccumulator } from './UsageAccumulator.js';
import type { UsageTotals } from './UsageAccumulator.js';
import { dimensionsOf, rollupBoundary } from './usageDimensions.js';

/** The default embedded store, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = '.tollgate/ledger.db';

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = 2;

export interface SqliteLedgerOptions {
  /**
   * Database file. Default `.tollgate/ledger.db` (relative to the working directory);
   * its directory is created when missing. `:memory:` gives a private in-memory database.
   */
  path?: string;
  /**
   * SQLite `synchronous` setting (the database runs in WAL mode). Default 'NORMAL':
   * every committed transaction survives a crash or SIGKILL of the process; a power
   * loss or OS crash can lose the last transactions (never corrupt the file).
   * 'FULL' also survives power loss, at the cost of an fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a writer waits for another process's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * When a settlement is written. 'transaction' (default): `settle` commits before it returns.
   * 'batched': settlements are queued and written together in one transaction every
   * `flushIntervalMs`, when `maxBatch` are waiting, on `flush()` and on `close()`, which makes a
   * settlement many times cheaper. Reads in this process (reservations, bucket states, usage,
   * records) see queued settlements exactly. What a crash (SIGKILL, power loss) can lose: the
   * settlements of the last `flushIntervalMs` at most; their reservations stay in the file and
   * stop counting when they expire (`reservationTtlMs`), so no budget is ever overspent because
   * of it, but that spend is never counted. Other processes sharing the file see queued
   * settlements once they are written; reservations are atomic across processes in both modes.
   */
  durability?: 'transaction' | 'batched';
  /** 'batched': longest time a settlement waits to be written, ms. Default 100. */
  flushIntervalMs?: number;
  /** 'batched': settlements written at the latest when this many are waiting. Default 1000. */
  maxBatch?: number;
}

/** A settlement waiting to be written ('batched' durability). */
interface PendingSettlement {
  record: UsageRecord;
  buckets: readonly Bucket[];
}

/** This process's live reservation, known without reading the file. */
interface OwnReservation {
  amountNanos: number;
  keys: readonly string[];
  expiresAt: number;
}

/** 'batched': own reservations remembered before expired ones are swept from memory. */
const OWN_SWEEP_SIZE = 10_000;

interface RecordRow {
  id: string;
  time: number;
  trace_id: string | null;
  span_id: string | null;
  request_id: string | null;
  task: string | null;
  session: string | null;
  agent: string | null;
  provider: string;
  model: string;
  operation: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nanos: number;
  status: string;
  metadata: string | null;
}

interface GroupRow extends UsageTotals {
  k: string;
}

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

const TOTALS_SQL = (p: string) => `COUNT(*) AS calls, SUM(${p}status = 'error') AS errors,
  SUM(${p}input_tokens) AS inputTokens, SUM(${p}output_tokens) AS outputTokens,
  SUM(${p}cache_read_tokens) AS cacheReadTokens, SUM(${p}cache_write_tokens) AS cacheWriteTokens,
  SUM(${p}reasoning_tokens) AS reasoningTokens, SUM(${p}cost_nanos) AS costNanos`;

const ROLLUP_TOTALS_SQL = `SUM(calls) AS calls, SUM(errors) AS errors,
  SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
  SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
  SUM(reasoning_tokens) AS reasoningTokens, SUM(cost_nanos) AS costNanos`;

const RECORD_GROUP_EXPR: Record<UsageGroupBy, string> = {
  model: 'model',
  provider: 'provider',
  operation: 'operation',
  status: 'status',
  task: "COALESCE(task, '')",
  session: "COALESCE(session, '')",
  agent: "COALESCE(agent, '')",
  day: "strftime('%Y-%m-%d', time / 1000, 'unixepoch')",
};

const WHERE_FIELDS = ['provider', 'model', 'task', 'session', 'agent', 'operation', 'status'] as const;
const NULLABLE = new Set<string>(['task', 'session', 'agent']);

/**
 * The default Ledger: an embedded SQLite database (better-sqlite3, WAL mode).
 * Every method answers synchronously. Reservations run in one IMMEDIATE transaction,
 * so they are atomic across every process sharing the file.
 *
 * Budget counters are kept apart from records (fixed counters, per-ms rolling entries),
 * and usage has per-day rollups, so `prune()` never changes a total.
 */
export class SqliteLedger implements Ledger {
  /** The resolved database file path. */
  readonly path: string;
  private readonly db: SqliteDatabase;
  private closed = false;
  private readonly stmt: {
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
    insertRecord: Statement<unknown[]>;
    upsertRollup: Statement<unknown[]>;
    addCounter: Statement<[string, number, number | null]>;
    addRolling: Statement<[string, number, number, number]>;
    listBudgets: Statement<[], { id: string; spec: string }>;
    putBudget: Statement<[string, string]>;
    deleteBudget: Statement<[string]>;
    getMeta: Statement<[string], { value: number }>;
    setMeta: Statement<[string, number]>;
  };
  private readonly reserveTx: (req: ReserveRequest) => ReserveResult;
  private readonly settleTx: (record: UsageRecord, buckets: readonly Bucket[]) => BucketState[];
  private readonly pruneTx: (before: number) => number;
  private readonly releaseTx: (id: string) => void;
  private readonly flushTx: (batch: readonly PendingSettlement[]) => void;
  private readonly statesTx: (buckets: readonly Bucket[], now: number) => BucketState[];
  private readonly batched: boolean;
  private readonly maxBatch: number;
  private readonly flushTimer: NodeJS.Timeout | undefined;
  /** 'batched': queued settlements by record id, in settle order. */
  private readonly pending = new Map<string, PendingSettlement>();
  /** 'batched': queued spend per fixed / calendar bucket key. */
  private readonly pendingSpent = new Map<string, number>();
  /** 'batched': queued spend per rolling bucket key, by record time. */
  private readonly pendingRolling = new Map<string, { time: number; amountNanos: number }[]>();
  /** 'batched': per bucket key, the reservations queued settlements release once written. */
  private readonly pendingReleased = new Map<string, number>();
  /** 'batched': this process's live reservations (a queued settlement releases its own at once). */
  private readonly own = new Map<string, OwnReservation>();

  constructor(options: SqliteLedgerOptions = {}) {
    this.path = options.path ?? DEFAULT_SQLITE_PATH;
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
      throw new Error(`tollgate: SqliteLedgerOptions.synchronous must be 'NORMAL' or 'FULL', got ${JSON.stringify(synchronous)}`);
    }
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    try {
      this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    } catch (err: unknown) {
      throw new Error(`tollgate: cannot open the SQLite ledger at ${this.path}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const durability = options.durability ?? 'transaction';
    if (durability !== 'transaction' && durability !== 'batched') {
      throw new Error(`tollgate: SqliteLedgerOptions.durability must be 'transaction' or 'batched', got ${JSON.stringify(durability)}`);
    }
    const flushIntervalMs = options.flushIntervalMs ?? 100;
    const maxBatch = options.maxBatch ?? 1000;
    for (const [name, value] of [['flushIntervalMs', flushIntervalMs], ['maxBatch', maxBatch]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`tollgate: SqliteLedgerOptions.${name} must be a positive whole number, got ${JSON.stringify(value)}`);
      }
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.migrate();

    const db = this.db;
    this.stmt = {
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
      insertReservationBucket: db.prepare(
        'INSERT OR IGNORE INTO reservation_buckets (bucket_key, reservation_id) VALUES (?, ?)',
      ),
      counterState: db.prepare('SELECT spent_nanos AS s, reserved_nanos AS r FROM bucket_counters WHERE bucket_key = ?'),
      rollingSpent: db.prepare(
        'SELECT COALESCE(SUM(amount_nanos), 0) AS n FROM rolling_entries WHERE bucket_key = ? AND time > ? AND time <= ?',
      ),
      insertRecord: db.prepare(
        `INSERT OR IGNORE INTO records (id, time, trace_id, span_id, request_id, task, session, agent, provider, model,
           operation, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos,
           status, metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertRollup: db.prepare(
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
      listBudgets: db.prepare('SELECT id, spec FROM budgets ORDER BY id'),
      putBudget: db.prepare('INSERT INTO budgets (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec'),
      deleteBudget: db.prepare('DELETE FROM budgets WHERE id = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };

    const reserve = db.transaction((req: ReserveRequest): ReserveResult => this.reserveInTx(req));
    this.reserveTx = (req) => reserve.immediate(req);
    const settle = db.transaction((record: UsageRecord, buckets: readonly Bucket[]) => this.settleInTx(record, buckets));
    this.settleTx = (record, buckets) => settle.immediate(record, buckets);
    const prune = db.transaction((before: number): number => this.pruneInTx(before));
    this.pruneTx = (before) => prune.immediate(before);
    const release = db.transaction((id: string) => this.dropReservation(id));
    this.releaseTx = (id) => release.immediate(id);
    const flush = db.transaction((batch: readonly PendingSettlement[]) => {
      for (const { record, buckets } of batch) this.writeSettlement(record, buckets);
    });
    this.flushTx = (batch) => flush.immediate(batch);
    // A read, unless a reservation expired since the last write (then it is purged first).
    this.statesTx = db.transaction((buckets: readonly Bucket[], now: number) => this.statesAt(buckets, now));

    this.batched = durability === 'batched';
    this.maxBatch = maxBatch;
    if (this.batched) {
      this.flushTimer = setInterval(() => {
        try {
          this.flush();
        } catch (err: unknown) {
          // Kept queued; the next interval (or close) tries again.
          diag.error(`tollgate: writing ${this.pending.size} queued settlements to ${this.path} failed; retrying`, err);
        }
      }, flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /**
   * Writes the queued settlements ('batched' durability) in one transaction. Nothing to do in
   * 'transaction' mode. Throws when the write fails; the settlements stay queued.
   */
  flush(): void {
    if (this.pending.size === 0 || this.closed) return;
    const batch = [...this.pending.values()];
    this.flushTx(batch);
    this.pending.clear();
    this.pendingSpent.clear();
    this.pendingRolling.clear();
    this.pendingReleased.clear();
  }

  reserve(req: ReserveRequest): ReserveResult {
    this.assertOpen();
    const result = this.reserveTx(req);
    if (this.batched) {
      this.own.delete(req.id);
      if (result.ok && req.buckets.length > 0) {
        this.own.set(req.id, { amountNanos: req.amountNanos, keys: distinctBuckets(req.buckets).map((b) => b.key), expiresAt: req.expiresAt });
        // Reservations never settled nor released (a call that died) are forgotten once expired.
        if (this.own.size > OWN_SWEEP_SIZE) for (const [id, r] of this.own) if (r.expiresAt <= req.now) this.own.delete(id);
      }
    }
    return result;
  }

  settle(record: UsageRecord, buckets: readonly Bucket[]): BucketState[] {
    this.assertOpen();
    if (!this.batched) return this.settleTx(record, buckets);
    if (!this.pending.has(record.id)) this.enqueue(record, buckets);
    if (this.pending.size >= this.maxBatch) this.flush();
    return this.statesTx(buckets, record.time);
  }

  release(id: string): void {
    this.assertOpen();
    // Settled already (queued): its reservation goes when the settlement is written.
    if (this.pending.has(id)) return;
    this.own.delete(id);
    this.releaseTx(id);
  }

  bucketStates(buckets: readonly Bucket[], now: number): BucketState[] {
    this.assertOpen();
    return this.statesTx(buckets, now);
  }

  usage(query: UsageQuery): UsageGroup[] {
    this.assertOpen();
    this.flush();
    return this.db.transaction(() => this.usageInTx(query))();
  }

  records(query: RecordQuery): UsageRecord[] {
    this.assertOpen();
    this.flush();
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
    const rows = this.db
      .prepare<unknown[], RecordRow>(`SELECT * FROM records ${where} ORDER BY time DESC, rowid DESC LIMIT ?`)
      .all(...params);
    return rows.map(rowToRecord);
  }

  prune(before: number): number {
    this.assertOpen();
    this.flush();
    return this.pruneTx(before);
  }

  listBudgets(): StoredBudget[] {
    this.assertOpen();
    return this.stmt.listBudgets.all().map((row) => ({ id: row.id, spec: JSON.parse(row.spec) as Record<string, unknown> }));
  }

  putBudget(budget: StoredBudget): void {
    this.assertOpen();
    this.stmt.putBudget.run(budget.id, JSON.stringify(budget.spec));
  }

  deleteBudget(id: string): boolean {
    this.assertOpen();
    return this.stmt.deleteBudget.run(id).changes > 0;
  }

  ping(): void {
    this.assertOpen();
    this.db.prepare('SELECT 1').get();
  }

  /** Idempotent. Writes queued settlements ('batched') first. */
  close(): void {
    if (this.closed) return;
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('SQLite');
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.db.prepare<[], { version: number }>('SELECT MAX(version) AS version FROM schema_version').get();
    const version = row?.version ?? 0;
    if (version > SQLITE_SCHEMA_VERSION) {
      this.db.close();
      throw new Error(
        `tollgate: the SQLite ledger at ${this.path} has schema version ${version}, newer than this tollgate ` +
          `understands (${SQLITE_SCHEMA_VERSION}); upgrade tollgate or point the store at another file`,
      );
    }
    if (version < 1) {
      this.db.transaction(() => {
        this.db.exec(SCHEMA_V1);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(1);
      }).immediate();
    }
    if (version < 2) {
      this.db.transaction(() => {
        this.db.exec(MIGRATE_V2);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(2);
      }).immediate();
    }
  }

  /** Removes a reservation and takes its amount off each of its buckets' reserved sum. */
  private dropReservation(id: string): void {
    const row = this.stmt.reservationAmount.get(id);
    if (row === undefined) return;
    for (const { k } of this.stmt.reservationBuckets.all(id)) this.stmt.addReserved.run(-row.a, k);
    this.stmt.deleteReservationBuckets.run(id);
    this.stmt.deleteReservation.run(id);
  }

  /**
   * Drops the reservations expired at `now` (in the caller's transaction): an expired
   * reservation is gone for good, even if the clock later moves back. One index read when none has.
   */
  private purgeExpired(now: number): void {
    const first = this.stmt.firstExpiry.get()?.m;
    if (first === null || first === undefined || first > now) return;
    for (const { id } of this.stmt.expiredReservations.all(now)) this.dropReservation(id);
  }

  /** The bucket at `now` (expired reservations purged): what the file holds, plus this process's queued settlements ('batched'). */
  private stateOf(b: Bucket, now: number): BucketState {
    const counter = this.stmt.counterState.get(b.key);
    let spentNanos = b.rollingMs !== undefined ? (this.stmt.rollingSpent.get(b.key, now - b.rollingMs, now)?.n ?? 0) : (counter?.s ?? 0);
    let reservedNanos = counter?.r ?? 0;
    if (this.pending.size > 0) {
      if (b.rollingMs !== undefined) {
        for (const e of this.pendingRolling.get(b.key) ?? []) if (e.time > now - b.rollingMs && e.time <= now) spentNanos += e.amountNanos;
      } else {
        spentNanos += this.pendingSpent.get(b.key) ?? 0;
      }
      // Released by a queued settlement, still in the file until it is written.
      reservedNanos = Math.max(0, reservedNanos - (this.pendingReleased.get(b.key) ?? 0));
    }
    return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos };
  }

  /** Queues a settlement ('batched') and counts it in this process's view of its buckets. */
  private enqueue(record: UsageRecord, buckets: readonly Bucket[]): void {
    this.pending.set(record.id, { record, buckets });
    const own = this.own.get(record.id);
    if (own !== undefined) {
      this.own.delete(record.id);
      for (const key of own.keys) this.pendingReleased.set(key, (this.pendingReleased.get(key) ?? 0) + own.amountNanos);
    }
    for (const b of distinctBuckets(buckets)) {
      if (b.rollingMs !== undefined) {
        if (record.costNanos === 0) continue;
        let entries = this.pendingRolling.get(b.key);
        if (entries === undefined) {
          entries = [];
          this.pendingRolling.set(b.key, entries);
        }
        entries.push({ time: record.time, amountNanos: record.costNanos });
      } else {
        this.pendingSpent.set(b.key, (this.pendingSpent.get(b.key) ?? 0) + record.costNanos);
      }
    }
  }

  private reserveInTx(req: ReserveRequest): ReserveResult {
    this.purgeExpired(req.now);
    this.dropReservation(req.id);
    const states = req.buckets.map((b) => this.stateOf(b, req.now));
    for (let i = 0; i < req.buckets.length; i++) {
      const b = req.buckets[i] as Bucket;
      const s = states[i] as BucketState;
      if (b.enforce && s.spentNanos + s.reservedNanos + req.amountNanos > b.limitNanos) {
        return { ok: false, failed: s, states };
      }
    }
    this.stmt.insertReservation.run(req.id, req.amountNanos, req.expiresAt);
    for (const b of distinctBuckets(req.buckets)) {
      this.stmt.insertReservationBucket.run(b.key, req.id);
      this.stmt.ensureCounter.run(b.key, b.expiresAt ?? null);
      this.stmt.addReserved.run(req.amountNanos, b.key);
    }
    return { ok: true, states: states.map((s) => ({ ...s, reservedNanos: s.reservedNanos + req.amountNanos })) };
  }

  private settleInTx(record: UsageRecord, buckets: readonly Bucket[]): BucketState[] {
    this.writeSettlement(record, buckets);
    return this.statesAt(buckets, record.time);
  }

  /** Every bucket's state at `now`, expired reservations purged first (in the caller's transaction). */
  private statesAt(buckets: readonly Bucket[], now: number): BucketState[] {
    this.purgeExpired(now);
    return buckets.map((b) => this.stateOf(b, now));
  }

  private writeSettlement(record: UsageRecord, buckets: readonly Bucket[]): void {
    const inserted = this.stmt.insertRecord.run(
      record.id,
      record.time,
      record.traceId ?? null,
      record.spanId ?? null,
      record.requestId ?? null,
      record.task ?? null,
      record.session ?? null,
      record.agent ?? null,
      record.provider,
      record.model,
      record.operation,
      record.inputTokens,
      record.outputTokens,
      record.cacheReadTokens,
      record.cacheWriteTokens,
      record.reasoningTokens,
      record.costNanos,
      record.status,
      record.metadata === undefined ? null : JSON.stringify(record.metadata),
    );
    if (inserted.changes === 0) return;
    this.dropReservation(record.id);
    const d = dimensionsOf(record);
    this.stmt.upsertRollup.run(
      d.day,
      Math.floor(record.time / MS_PER_DAY) * MS_PER_DAY,
      d.provider,
      d.model,
      d.operation,
      d.status,
      d.task,
      d.session,
      d.agent,
      record.status === 'error' ? 1 : 0,
      record.inputTokens,
      record.outputTokens,
      record.cacheReadTokens,
      record.cacheWriteTokens,
      record.reasoningTokens,
      record.costNanos,
    );
    for (const b of distinctBuckets(buckets)) {
      if (b.rollingMs !== undefined) {
        if (record.costNanos !== 0) this.stmt.addRolling.run(b.key, record.time, b.rollingMs, record.costNanos);
      } else {
        this.stmt.addCounter.run(b.key, record.costNanos, b.expiresAt ?? null);
      }
    }
  }

  private pruneInTx(before: number): number {
    const deleted = this.db.prepare('DELETE FROM records WHERE time < ?').run(before).changes;
    const watermark = this.stmt.getMeta.get('prune_watermark')?.value;
    this.stmt.setMeta.run('prune_watermark', Math.max(watermark ?? before, before));
    // A counter still holding live reservations stays until they are settled, released or expired.
    this.db.prepare('DELETE FROM bucket_counters WHERE expires_at IS NOT NULL AND expires_at <= ? AND reserved_nanos = 0').run(before);
    this.db.prepare('DELETE FROM rolling_entries WHERE time + rolling_ms <= ?').run(before);
    this.purgeExpired(before);
    return deleted;
  }

  private usageInTx(query: UsageQuery): UsageGroup[] {
    const acc = new UsageAccumulator();
    const boundary = rollupBoundary(this.stmt.getMeta.get('prune_watermark')?.value);

    const whereClauses = (nullableAsEmpty: boolean): { sql: string[]; params: string[] } => {
      const sql: string[] = [];
      const params: string[] = [];
      for (const field of WHERE_FIELDS) {
        const value = query.where?.[field];
        if (value === undefined) continue;
        sql.push(nullableAsEmpty && NULLABLE.has(field) ? `COALESCE(${field}, '') = ?` : `${field} = ?`);
        params.push(value);
      }
      return { sql, params };
    };

    if (Number.isFinite(boundary)) {
      const w = whereClauses(false);
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
      const column = query.by;
      const rows = this.db
        .prepare<unknown[], GroupRow>(
          `SELECT ${column} AS k, ${ROLLUP_TOTALS_SQL} FROM daily_rollups WHERE ${clauses.join(' AND ')} GROUP BY k`,
        )
        .all(...params);
      for (const { k, ...totals } of rows) acc.add(k, totals);
    }

    const w = whereClauses(true);
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
    const rows = this.db
      .prepare<unknown[], GroupRow>(
        `SELECT ${RECORD_GROUP_EXPR[query.by]} AS k, ${TOTALS_SQL('')} FROM records ${where} GROUP BY k`,
      )
      .all(...params);
    for (const { k, ...totals } of rows) acc.add(k, totals);
    return acc.result(query.by);
  }
}

function rowToRecord(row: RecordRow): UsageRecord {
  const record: UsageRecord = {
    id: row.id,
    time: row.time,
    provider: row.provider,
    model: row.model,
    operation: row.operation,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    reasoningTokens: row.reasoning_tokens,
    costNanos: row.cost_nanos,
    status: row.status as UsageStatus,
  };
  if (row.trace_id !== null) record.traceId = row.trace_id;
  if (row.span_id !== null) record.spanId = row.span_id;
  if (row.request_id !== null) record.requestId = row.request_id;
  if (row.task !== null) record.task = row.task;
  if (row.session !== null) record.session = row.session;
  if (row.agent !== null) record.agent = row.agent;
  if (row.metadata !== null) record.metadata = JSON.parse(row.metadata) as Record<string, string | number | boolean>;
  return record;
}
