import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { utcDayStart } from '../../time/utcWindows.js';
import type { Bucket, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, ResetRecord, StoredBudget, UsageGroup, UsageQuery } from '../Ledger.js';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { distinctBuckets } from '../distinctBuckets.js';
import { LedgerClosedError } from '../LedgerClosedError.js';
import { dimensionsOf } from '../usageDimensions.js';
import { migrateSchema } from './migrateSchema.js';
import { prepareStatements } from './prepareStatements.js';
import type { SqliteStatements } from './prepareStatements.js';
import { queryRecords } from './queryRecords.js';
import { queryUsage } from './queryUsage.js';
import { recordValues } from './recordRow.js';
import { SettlementQueue } from './SettlementQueue.js';
import { SqliteResets } from './SqliteResets.js';
import type { PendingSettlement } from './SettlementQueue.js';
import { resolveSqliteOptions } from './SqliteLedgerOptions.js';
import type { SqliteLedgerOptions } from './SqliteLedgerOptions.js';
import { assertGroupBy } from '../assertGroupBy.js';

/**
 * The default Ledger: an embedded SQLite database (better-sqlite3, WAL mode).
 * `reserve` answers synchronously; every other method does its work at call time (a
 * settlement is visible to the very next read) and returns a settled promise.
 * Reservations run in one IMMEDIATE transaction, so they are atomic across every
 * process sharing the file.
 *
 * Budget counters are kept apart from records (fixed counters, per-ms rolling entries),
 * and usage has per-day rollups, so `prune()` never changes a total.
 */
export class SqliteLedger implements Ledger {
  /** The resolved database file path. */
  readonly path: string;
  /** When a settlement is written (see SqliteLedgerOptions.durability). */
  readonly durability: 'transaction' | 'batched';
  private readonly db: SqliteDatabase;
  private readonly stmt: SqliteStatements;
  private closed = false;
  /** 'batched': the settlements not written yet; undefined in 'transaction' mode. */
  private readonly queue: SettlementQueue | undefined;
  private readonly maxBatch: number;
  private readonly flushTimer: NodeJS.Timeout | undefined;
  private readonly reserveTx: (req: ReserveRequest) => ReserveResult;
  private readonly settleTx: (record: UsageRecord, buckets: readonly Bucket[]) => BucketState[];
  private readonly statesTx: (buckets: readonly Bucket[], now: number) => BucketState[];
  private readonly releaseTx: (id: string) => void;
  private readonly writeTx: (batch: readonly PendingSettlement[]) => void;
  private readonly pruneTx: (before: number) => number;
  private readonly usageTx: (query: UsageQuery) => UsageGroup[];
  private readonly resetLog: SqliteResets;

  constructor(options: SqliteLedgerOptions = {}) {
    const o = resolveSqliteOptions(options);
    this.path = o.path;
    this.durability = o.durability;
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    try {
      this.db = new Database(this.path, { timeout: o.busyTimeoutMs });
    } catch (err: unknown) {
      throw new Error(`tollgate: cannot open the SQLite ledger at ${this.path}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${o.synchronous}`);
    migrateSchema(this.db, this.path);
    this.stmt = prepareStatements(this.db);
    this.resetLog = new SqliteResets(this.db);

    const db = this.db;
    const reserve = db.transaction((req: ReserveRequest) => this.reserveInTx(req));
    this.reserveTx = (req) => reserve.immediate(req);
    const settle = db.transaction((record: UsageRecord, buckets: readonly Bucket[]) => {
      this.writeSettlement(record, buckets);
      return this.statesAt(buckets, record.time);
    });
    this.settleTx = (record, buckets) => settle.immediate(record, buckets);
    // A read, unless a reservation expired since the last write (then it is purged first).
    this.statesTx = db.transaction((buckets: readonly Bucket[], now: number) => this.statesAt(buckets, now));
    const release = db.transaction((id: string) => this.dropReservation(id));
    this.releaseTx = (id) => release.immediate(id);
    const write = db.transaction((batch: readonly PendingSettlement[]) => {
      for (const { record, buckets } of batch) this.writeSettlement(record, buckets);
    });
    this.writeTx = (batch) => write.immediate(batch);
    const prune = db.transaction((before: number) => this.pruneInTx(before));
    this.pruneTx = (before) => prune.immediate(before);
    this.usageTx = db.transaction((query: UsageQuery) => queryUsage(db, query, this.stmt.getMeta.get('prune_watermark')?.value));

    this.maxBatch = o.maxBatch;
    if (o.durability === 'batched') {
      this.queue = new SettlementQueue();
      this.flushTimer = setInterval(() => {
        try {
          this.writeQueued();
        } catch (err: unknown) {
          // Kept queued; the next interval (or close) tries again.
          diag.error(`tollgate: writing ${this.queue?.size ?? 0} queued settlements to ${this.path} failed; retrying`, err);
        }
      }, o.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /**
   * Writes the queued settlements ('batched' durability) in one transaction. Nothing to do in
   * 'transaction' mode or after close. Rejects when the write fails; the settlements stay queued.
   */
  async flush(): Promise<void> {
    if (!this.closed) this.writeQueued();
  }

  reserve(req: ReserveRequest): ReserveResult {
    this.assertOpen();
    const result = this.reserveTx(req);
    this.queue?.reserved(req, result.ok);
    return result;
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    this.assertOpen();
    if (this.queue === undefined) return this.settleTx(record, buckets);
    this.queue.enqueue(record, buckets);
    if (this.queue.size >= this.maxBatch) this.writeQueued();
    return this.statesTx(buckets, record.time);
  }

  async release(id: string): Promise<void> {
    this.assertOpen();
    // Settled already (queued): its reservation goes when the settlement is written.
    if (this.queue?.has(id) === true) return;
    this.queue?.forget(id);
    this.releaseTx(id);
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    this.assertOpen();
    return this.statesTx(buckets, now);
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    assertGroupBy(query.by);
    this.assertOpen();
    this.writeQueued();
    return this.usageTx(query);
  }

  async records(query: RecordQuery): Promise<UsageRecord[]> {
    this.assertOpen();
    this.writeQueued();
    return queryRecords(this.db, query);
  }

  async prune(before: number): Promise<number> {
    this.assertOpen();
    this.writeQueued();
    return this.pruneTx(before);
  }

  async listBudgets(): Promise<StoredBudget[]> {
    this.assertOpen();
    return this.stmt.listBudgets.all().map((row) => ({ id: row.id, spec: JSON.parse(row.spec) as Record<string, unknown> }));
  }

  async putBudget(budget: StoredBudget): Promise<void> {
    this.assertOpen();
    this.stmt.putBudget.run(budget.id, JSON.stringify(budget.spec));
  }

  async deleteBudget(id: string): Promise<boolean> {
    this.assertOpen();
    return this.stmt.deleteBudget.run(id).changes > 0;
  }

  /** Queued settlements ('batched') are written first: they were made before the reset. */
  async resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void> {
    this.assertOpen();
    this.writeQueued();
    this.resetLog.reset(reset, bucketKeys);
  }

  async resets(limit = 100): Promise<ResetRecord[]> {
    this.assertOpen();
    return this.resetLog.recent(limit);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.stmt.ping.get();
  }

  /** Idempotent. Writes queued settlements ('batched') first. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    try {
      this.writeQueued();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('SQLite');
  }

  /** Writes the queued settlements in one transaction; on failure they stay queued. */
  private writeQueued(): void {
    if (this.queue === undefined || this.queue.size === 0) return;
    this.writeTx(this.queue.batch());
    this.queue.clear();
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

  /** Every bucket's state at `now`, expired reservations purged first (in the caller's transaction). */
  private statesAt(buckets: readonly Bucket[], now: number): BucketState[] {
    this.purgeExpired(now);
    return buckets.map((b) => this.stateOf(b, now));
  }

  /** The bucket at `now` (expired reservations purged): what the file holds, plus this process's queued settlements. */
  private stateOf(b: Bucket, now: number): BucketState {
    const counter = this.stmt.counterState.get(b.key);
    const spentNanos = b.rollingMs !== undefined ? (this.stmt.rollingSpent.get(b.key, now - b.rollingMs, now)?.n ?? 0) : (counter?.s ?? 0);
    const state = { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos: counter?.r ?? 0 };
    return this.queue === undefined ? state : this.queue.adjust(state, b, now);
  }

  private reserveInTx(req: ReserveRequest): ReserveResult {
    this.purgeExpired(req.now);
    this.dropReservation(req.id);
    const states = req.buckets.map((b) => this.stateOf(b, req.now));
    // The first enforced bucket the amount does not fit in; non-enforced buckets are always charged.
    const failed = states.find((s, i) => (req.buckets[i] as Bucket).enforce && s.spentNanos + s.reservedNanos + req.amountNanos > s.limitNanos);
    if (failed !== undefined) return { ok: false, failed, states };
    this.stmt.insertReservation.run(req.id, req.amountNanos, req.expiresAt);
    for (const b of distinctBuckets(req.buckets)) {
      this.stmt.insertReservationBucket.run(b.key, req.id);
      this.stmt.ensureCounter.run(b.key, b.expiresAt ?? null);
      this.stmt.addReserved.run(req.amountNanos, b.key);
    }
    return { ok: true, states: states.map((s) => ({ ...s, reservedNanos: s.reservedNanos + req.amountNanos })) };
  }

  /** Stores the record, its rollup and its spend, and drops its reservation; nothing when the id is stored already. */
  private writeSettlement(record: UsageRecord, buckets: readonly Bucket[]): void {
    if (this.stmt.insertRecord.run(...recordValues(record)).changes === 0) return;
    this.dropReservation(record.id);
    const d = dimensionsOf(record);
    this.stmt.upsertRollup.run(
      d.day,
      utcDayStart(record.time),
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
    const deleted = this.stmt.deleteRecordsBefore.run(before).changes;
    const watermark = this.stmt.getMeta.get('prune_watermark')?.value;
    this.stmt.setMeta.run('prune_watermark', Math.max(watermark ?? before, before));
    this.stmt.deleteEndedCounters.run(before);
    this.stmt.deleteOldRollingEntries.run(before);
    this.purgeExpired(before);
    return deleted;
  }
}
