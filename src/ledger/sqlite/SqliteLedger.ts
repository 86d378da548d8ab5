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
import { GroupCommit } from './GroupCommit.js';
import { SqliteResets } from './SqliteResets.js';
import { resolveSqliteOptions } from './SqliteLedgerOptions.js';
import type { SqliteLedgerOptions } from './SqliteLedgerOptions.js';
import { assertGroupBy } from '../assertGroupBy.js';

/**
 * The default Ledger: an embedded SQLite database (better-sqlite3, WAL mode).
 *
 * Reservations, settlements, releases and bucket reads go through a group commit
 * (GroupCommit): those of one event-loop turn run in one IMMEDIATE transaction, each
 * decided in order and atomic across every process sharing the file, and their promises
 * resolve once that transaction has committed. A settlement whose promise resolved
 * survives a SIGKILL of the process. Usage and record reads see every operation queued
 * before them.
 *
 * Budget counters are kept apart from records (fixed counters, per-ms rolling entries),
 * and usage has per-day rollups, so `prune()` never changes a total.
 */
export class SqliteLedger implements Ledger {
  /** The resolved database file path. */
  readonly path: string;
  /** The durability configured (both values write the same way; see SqliteLedgerOptions.durability). */
  readonly durability: 'transaction' | 'batched';
  private readonly db: SqliteDatabase;
  private readonly stmt: SqliteStatements;
  private readonly group: GroupCommit;
  private closed = false;
  private readonly usageTx: (query: UsageQuery) => UsageGroup[];
  private readonly resetLog: SqliteResets;

  constructor(options: SqliteLedgerOptions = {}) {
    const o = resolveSqliteOptions(options);
    this.path = o.path;
    this.durability = o.durability;
    if (o.durability === 'batched') {
      diag.warn("tollgate: sqlite durability 'batched' is no longer needed and writes as 'transaction' does: settlements are group-committed, each before its promise resolves");
    }
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
    this.group = new GroupCommit(this.db, o.maxBatch);
    this.usageTx = this.db.transaction((query: UsageQuery) => queryUsage(this.db, query, this.stmt.getMeta.get('prune_watermark')?.value));
  }

  /** Commits the operations queued for the current group now. */
  async flush(): Promise<void> {
    if (!this.closed) this.group.commit();
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    this.assertOpen();
    return this.group.run(() => this.reserveInTx(req));
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    this.assertOpen();
    return this.group.run(() => {
      this.writeSettlement(record, buckets);
      return this.statesAt(buckets, record.time);
    });
  }

  async release(id: string): Promise<void> {
    this.assertOpen();
    return this.group.run(() => this.dropReservation(id));
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    this.assertOpen();
    // In the group: it purges expired reservations, and sees every operation queued before it.
    return this.group.run(() => this.statesAt(buckets, now));
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    assertGroupBy(query.by);
    this.assertOpen();
    this.group.commit();
    return this.usageTx(query);
  }

  async records(query: RecordQuery): Promise<UsageRecord[]> {
    this.assertOpen();
    this.group.commit();
    return queryRecords(this.db, query);
  }

  async prune(before: number): Promise<number> {
    this.assertOpen();
    return this.group.run(() => this.pruneInTx(before));
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

  /** The operations queued for the current group are committed first: they were made before the reset. */
  async resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void> {
    this.assertOpen();
    this.group.commit();
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

  /** Idempotent. Commits the queued operations first. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.group.commit();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('SQLite');
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

  /** The bucket at `now` (expired reservations purged), as the file holds it. */
  private stateOf(b: Bucket, now: number): BucketState {
    const counter = this.stmt.counterState.get(b.key);
    const spentNanos = b.rollingMs !== undefined ? (this.stmt.rollingSpent.get(b.key, now - b.rollingMs, now)?.n ?? 0) : (counter?.s ?? 0);
    return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos: counter?.r ?? 0 };
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
