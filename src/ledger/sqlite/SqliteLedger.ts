import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Bucket, BucketSeed, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, ResetRecord, StoredBudget, UsageGroup, UsageQuery } from '../Ledger.js';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { distinctBuckets } from '../distinctBuckets.js';
import { seedsByBucket } from '../seedsByBucket.js';
import type { BucketSeeds } from '../seedsByBucket.js';
import { LedgerClosedError } from '../LedgerClosedError.js';
import { migrateSchema } from './migrateSchema.js';
import { prepareStatements } from './prepareStatements.js';
import type { SqliteStatements } from './prepareStatements.js';
import { queryRecords } from './queryRecords.js';
import { queryUsage } from './queryUsage.js';
import { recordValues } from './recordRow.js';
import { GroupCommit } from './GroupCommit.js';
import { GroupBuckets } from './GroupBuckets.js';
import { PendingRollups } from './PendingRollups.js';
import { ProcessReservations } from './ProcessReservations.js';
import { ProcessSlack, SLACK_IDLE_MS, SLACK_RETRY_MS } from './ProcessSlack.js';
import { SqliteResets } from './SqliteResets.js';
import { resolveSqliteOptions } from './SqliteLedgerOptions.js';
import { retryWhileBusy } from './retryWhileBusy.js';
import type { SqliteLedgerOptions } from './SqliteLedgerOptions.js';
import { assertGroupBy } from '../assertGroupBy.js';

/** Slack that could not be given back errs closed (it keeps counting until its row expires), but is said. */
function giveBackFailed(err: unknown): void {
  diag.warn(
    `tollgate: giving back this process's SQLite slack failed; it keeps counting against its caps until its row expires (2 × reservationTtlMs): ${err instanceof Error ? err.message : String(err)}`,
  );
}

/** Buckets seeded in one group transaction (Ledger.seed): a budget with a counter per task id can seed many. */
const SEED_GROUP = 1000;

/** What a reservation decided in a transaction answers when only other processes' slack keeps it out: decide again later. */
const RETRY = Symbol('retry');

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
 * The statements run per group and per bucket, not per call: each ledger instance (a random
 * id) holds its live reservations in memory (ProcessReservations) and one row per bucket in the
 * file with their sum and latest expiry, which the other processes count; a group reads each
 * bucket it touches once (GroupBuckets), decides its reservations in order, and writes each
 * counter, rollup (PendingRollups) and row once. A settlement inserts its record (the one
 * statement per call). A process killed with SIGKILL leaves rows that stop counting at their
 * expiry; one that lives drops its expired reservations (and their share of its rows) at its
 * next group that reaches their expiry. A reservation is settled or released by the instance
 * that made it (the engine settles a call where it admitted it); another instance settling the
 * same id stores the record and leaves that reservation to its owner or its expiry.
 *
 * A reservation whose every bucket is an enforced fixed or calendar counter on which this
 * process holds slack enough (ProcessSlack: a share of the headroom, in a row of its own that the
 * other processes count) is answered at once, with no transaction; a refusal is only ever made in
 * a group, and one that only the other processes' slack makes is decided again SLACK_RETRY_MS later.
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
  /** This instance's id in `bucket_holds`. */
  private readonly instance = randomUUID();
  private readonly own = new ProcessReservations();
  private readonly slack = new ProcessSlack();
  /** An operation other than a settlement is queued for the current group (answers from slack wait for it). */
  private queuedOther = false;
  /** Gives back idle slack while this process holds any. */
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly buckets: GroupBuckets;
  private readonly rollups: PendingRollups;
  /** Ids of reservations an older schema left (rows `legacy:<id>`): settling or releasing one drops its rows. */
  private readonly legacyIds: Set<string>;
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
    // Processes opening a new file at the same time: the switch to WAL can be refused at once (SQLITE_BUSY) by another's.
    retryWhileBusy(() => this.db.pragma('journal_mode = WAL'), o.busyTimeoutMs);
    this.db.pragma(`synchronous = ${o.synchronous}`);
    migrateSchema(this.db, this.path);
    this.stmt = prepareStatements(this.db);
    this.resetLog = new SqliteResets(this.db);
    this.buckets = new GroupBuckets(this.stmt, this.instance, this.own, this.slack);
    this.rollups = new PendingRollups(this.stmt.upsertRollup);
    this.legacyIds = new Set(
      this.db.prepare<[], { i: string }>("SELECT DISTINCT instance AS i FROM bucket_holds WHERE instance LIKE 'legacy:%'").all().map((r) => r.i.slice('legacy:'.length)),
    );
    this.group = new GroupCommit(this.db, o.maxBatch, o.settleDelayMs, {
      write: () => this.writePending(),
      committed: () => {
        this.queuedOther = false;
        this.own.commit();
        this.buckets.committed();
        this.slack.commit();
        this.watchIdleSlack();
      },
      failed: () => {
        this.queuedOther = false;
        this.own.rollback();
        this.buckets.failed();
        this.slack.end();
        this.rollups.clear();
      },
    });
    this.usageTx = this.db.transaction((query: UsageQuery) => queryUsage(this.db, query, this.stmt.getMeta.get('prune_watermark')?.value));
  }

  /** Commits the operations queued for the current group now. */
  async flush(): Promise<void> {
    if (!this.closed) this.group.commit();
  }

  /**
   * Answers at once, with no transaction, when this process's slack on every bucket holds the
   * amount (see ProcessSlack); otherwise decides in the next group. A reservation that only the
   * other processes' slack keeps out is decided again SLACK_RETRY_MS later, once, before it is refused.
   */
  reserve(req: ReserveRequest): ReserveResult | Promise<ReserveResult> {
    if (this.closed) return Promise.reject(new LedgerClosedError('SQLite'));
    const fast = this.reserveFromSlack(req);
    if (fast !== undefined) return fast;
    this.queuedOther = true;
    return this.group.run(() => this.reserveInTx(req, true)).then((first) => {
      if (first !== RETRY) return first;
      // Not unref'd: the caller is waiting for this answer.
      return new Promise<void>((resolve) => setTimeout(resolve, SLACK_RETRY_MS)).then(() => {
        this.assertOpen();
        return this.group.run(() => this.reserveInTx(req, false) as ReserveResult);
      });
    });
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    this.assertOpen();
    this.slack.settling(distinctBuckets(buckets), record.costNanos, this.own.amountOf(record.id));
    return this.group.run(() => {
      this.writeSettlement(record, buckets);
      return this.statesAt(buckets, record.time);
    }, true);
  }

  /** In groups of SEED_GROUP buckets: each bucket is checked and seeded in the transaction of its group. */
  async seed(seeds: readonly BucketSeed[]): Promise<string[]> {
    this.assertOpen();
    const buckets = [...seedsByBucket(seeds).values()];
    const seeded: string[] = [];
    for (let i = 0; i < buckets.length; i += SEED_GROUP) {
      this.assertOpen();
      const part = buckets.slice(i, i + SEED_GROUP);
      this.queuedOther = true;
      seeded.push(...(await this.group.run(() => this.seedInTx(part))));
    }
    return seeded;
  }

  async release(id: string): Promise<void> {
    this.assertOpen();
    this.queuedOther = true;
    return this.group.run(() => this.dropReservation(id));
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    this.assertOpen();
    // In the group: it purges expired reservations, and sees every operation queued before it.
    this.queuedOther = true;
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
    this.queuedOther = true;
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

  /** Idempotent. Commits the queued operations first, and gives back this process's slack. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.idleTimer);
    try {
      if (this.slack.holdsAny()) void this.group.run(() => this.slack.release(this.slack.idleSince(Number.POSITIVE_INFINITY))).catch(giveBackFailed);
      this.group.commit();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('SQLite');
  }

  /** Writes what the group's operations left pending (in its transaction). */
  private writePending(): void {
    this.rollups.write();
    this.buckets.write();
  }

  /** Drops a live reservation of this process, or the rows an older schema left for it. */
  private dropReservation(id: string): void {
    this.own.remove(id);
    if (this.legacyIds.has(id)) {
      this.stmt.deleteInstanceHolds.run(`legacy:${id}`);
      this.buckets.forgetOthers();
    }
  }

  /** Every bucket's state at `now`, this process's expired reservations dropped first. */
  private statesAt(buckets: readonly Bucket[], now: number): BucketState[] {
    this.own.dropExpired(now);
    return buckets.map((b) => this.buckets.stateOf(b, now));
  }

  /** The answer when the reservation fits in this process's slack (nothing but settlements queued before it, none of its reservations expired); undefined otherwise. */
  private reserveFromSlack(req: ReserveRequest): ReserveResult | undefined {
    if (this.queuedOther || this.own.has(req.id) || this.own.mayExpireBy(req.now) || this.legacyIds.has(req.id)) return undefined;
    const buckets = distinctBuckets(req.buckets);
    if (!this.slack.admit(buckets, req.amountNanos, req.now, req.expiresAt)) return undefined;
    this.own.admitted(req.id, req.amountNanos, buckets.map((b) => b.key), req.expiresAt);
    return { ok: true, states: req.buckets.map((b) => this.slack.stateOf(b, this.own.reservedIn(b.key))) };
  }

  /** `retry`: RETRY instead of a refusal that only the other processes' slack makes. */
  private reserveInTx(req: ReserveRequest, retry: boolean): ReserveResult | typeof RETRY {
    this.own.dropExpired(req.now);
    this.dropReservation(req.id);
    const states = req.buckets.map((b) => this.buckets.stateOf(b, req.now));
    // The first enforced bucket the amount does not fit in; non-enforced buckets are always charged.
    const over = (s: BucketState, i: number, slackNanos = 0) =>
      (req.buckets[i] as Bucket).enforce && s.spentNanos + s.reservedNanos - slackNanos + req.amountNanos > s.limitNanos;
    const failed = states.find((s, i) => over(s, i));
    if (failed !== undefined) {
      if (retry && !states.some((s, i) => over(s, i, this.buckets.othersAt(s.key, req.now).slackNanos))) return RETRY;
      return { ok: false, failed, states };
    }
    this.own.add(req.id, req.amountNanos, distinctBuckets(req.buckets).map((b) => b.key), req.expiresAt);
    this.slack.reserved(req.buckets, req.amountNanos, req.now, req.expiresAt);
    return { ok: true, states: states.map((s) => ({ ...s, reservedNanos: s.reservedNanos + req.amountNanos })) };
  }

  /** While this process holds slack, gives back every counter's that nothing was reserved against for SLACK_IDLE_MS. */
  private watchIdleSlack(): void {
    if (!this.slack.holdsAny()) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
      return;
    }
    this.idleTimer ??= setInterval(() => {
      const idle = this.slack.idleSince(Date.now() - SLACK_IDLE_MS);
      if (idle.length > 0 && !this.closed) void this.group.run(() => this.slack.release(idle)).catch(giveBackFailed);
    }, SLACK_IDLE_MS).unref();
  }

  /** Stores the record and adds its rollup and spend (written with the group), and drops its reservation; nothing when the record (its time and id) is stored already. */
  private writeSettlement(record: UsageRecord, buckets: readonly Bucket[]): void {
    if (this.stmt.insertRecord.run(...recordValues(record)).changes === 0) return;
    this.dropReservation(record.id);
    this.rollups.add(record);
    for (const b of distinctBuckets(buckets)) {
      this.buckets.charge(b, record.costNanos, record.time);
      this.slack.touch(b, record.time);
    }
  }

  /** Seeds each bucket that holds no spend in the file (see Ledger.seed). */
  private seedInTx(buckets: readonly BucketSeeds[]): string[] {
    const seeded: string[] = [];
    for (const { bucket, seeds } of buckets) {
      if (this.buckets.holdsSpend(bucket)) continue;
      for (const s of seeds) {
        this.buckets.charge(bucket, s.nanos, s.time);
        this.slack.touch(bucket, s.time);
      }
      seeded.push(bucket.key);
    }
    return seeded;
  }

  private pruneInTx(before: number): number {
    // What the group holds pending is written first: the statements below read and delete rows.
    this.writePending();
    const deleted = this.stmt.deleteRecordsBefore.run(before).changes;
    const watermark = this.stmt.getMeta.get('prune_watermark')?.value;
    this.stmt.setMeta.run('prune_watermark', Math.max(watermark ?? before, before));
    // A counter whose window ended is deleted, unless a live reservation is still held against it.
    const held = new Set(this.stmt.heldKeys.all(before, this.instance).map((r) => r.k));
    for (const { k } of this.stmt.endedCounters.all(before)) if (!this.own.holds(k) && !held.has(k)) this.stmt.deleteCounter.run(k);
    this.stmt.deleteOldRollingEntries.run(before);
    // This instance's own rows (reservations, slack) are left to it: it knows what it wrote.
    this.stmt.deleteExpiredHolds.run(before, this.instance, `slack:${this.instance}`);
    this.own.dropExpired(before);
    return deleted;
  }
}
