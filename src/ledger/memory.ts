import { utcDayKeyStart } from '../time/utcWindows.js';
import type { Bucket, BucketSeed, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, ResetRecord, StoredBudget, UsageGroup, UsageQuery } from './Ledger.js';
import type { Nanos } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { distinctBuckets } from './distinctBuckets.js';
import { seedsByBucket } from './seedsByBucket.js';
import { LedgerClosedError } from './LedgerClosedError.js';
import { addTotals, UsageAccumulator } from './UsageAccumulator.js';
import type { UsageTotals } from './UsageAccumulator.js';
import { dayOverlaps, dimensionsOf, groupKeyOf, matchesWhere, rollupBoundary, totalsOf } from './usageDimensions.js';
import type { UsageDimensions } from './usageDimensions.js';
import { assertGroupBy } from './assertGroupBy.js';

/** A live reservation: its amount is held in each of its buckets until settled, released or expired. */
interface Reservation {
  amountNanos: Nanos;
  /** Each bucket key once. */
  keys: readonly string[];
  expiresAt: number;
}

/** Settled spend of a fixed or calendar-window bucket: a counter that only grows. */
interface Counter {
  spentNanos: Nanos;
  /** End of the bucket's calendar window; undefined for buckets that never end. */
  expiresAt: number | undefined;
}

/** One settlement into a rolling-window bucket. */
interface RollingEntry {
  time: number;
  amountNanos: Nanos;
  /** The window it was settled for: it can be forgotten once `time + rollingMs` has passed. */
  rollingMs: number;
}

/** Usage totals of one day and one combination of dimensions (kept when records are pruned). */
interface Rollup {
  dims: UsageDimensions;
  totals: UsageTotals;
}

/**
 * A Ledger held in process memory: exact, gone when the process ends. The reference
 * implementation of the Ledger contract, and the store tests use.
 *
 * `reserve` answers synchronously; every other method does its work at call time and
 * returns a settled promise. Plain maps and arrays: a reservation and a bucket read
 * look at the live reservations (the calls in flight), a rolling bucket sums its
 * entries, usage reads the records.
 */
export class MemoryLedger implements Ledger {
  /** Live reservations by call id. */
  private readonly reservations = new Map<string, Reservation>();
  /** Fixed and calendar-window counters by bucket key. */
  private readonly counters = new Map<string, Counter>();
  /** No counter's window ends before this: `prune` passes over the counters only once one may have ended. */
  private countersEndFrom = Number.POSITIVE_INFINITY;
  /** Rolling-window settlements by bucket key. */
  private readonly rolling = new Map<string, RollingEntry[]>();
  /** Records by time ascending (equal times in settle order). */
  private stored: UsageRecord[] = [];
  /** The stored records by time and id (recordKey): settling one of them again changes nothing. */
  private readonly settledKeys = new Set<string>();
  /** Per-day usage totals by day and dimensions. */
  private readonly rollups = new Map<string, Rollup>();
  private readonly budgets = new Map<string, StoredBudget>();
  /** The reset log, oldest first. */
  private readonly resetLog: ResetRecord[] = [];
  /** Highest `before` ever pruned; days before it are answered from the rollups. */
  private watermark: number | undefined;
  private closed = false;

  reserve(req: ReserveRequest): ReserveResult {
    this.assertOpen();
    this.dropExpired(req.now);
    this.reservations.delete(req.id);
    const states = req.buckets.map((b) => this.stateOf(b, req.now));
    // The first enforced bucket the amount does not fit in; non-enforced buckets are always charged.
    const failed = states.find((s, i) => (req.buckets[i] as Bucket).enforce && s.spentNanos + s.reservedNanos + req.amountNanos > s.limitNanos);
    if (failed !== undefined) return { ok: false, failed, states };
    this.reservations.set(req.id, {
      amountNanos: req.amountNanos,
      keys: distinctBuckets(req.buckets).map((b) => b.key),
      expiresAt: req.expiresAt,
    });
    return { ok: true, states: states.map((s) => ({ ...s, reservedNanos: s.reservedNanos + req.amountNanos })) };
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    this.assertOpen();
    const key = recordKey(record);
    if (!this.settledKeys.has(key)) {
      this.settledKeys.add(key);
      this.reservations.delete(record.id);
      this.insertRecord(copyRecord(record));
      this.addToRollup(record);
      for (const b of distinctBuckets(buckets)) this.charge(b, record.costNanos, record.time);
    }
    return this.statesAt(buckets, record.time);
  }

  async seed(seeds: readonly BucketSeed[]): Promise<string[]> {
    this.assertOpen();
    const seeded: string[] = [];
    for (const [key, group] of seedsByBucket(seeds)) {
      if ((this.counters.get(key)?.spentNanos ?? 0) > 0 || (this.rolling.get(key)?.length ?? 0) > 0) continue;
      for (const s of group.seeds) this.charge(group.bucket, s.nanos, s.time);
      seeded.push(key);
    }
    return seeded;
  }

  async release(id: string): Promise<void> {
    this.assertOpen();
    this.reservations.delete(id);
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    this.assertOpen();
    return this.statesAt(buckets, now);
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    assertGroupBy(query.by);
    this.assertOpen();
    const acc = new UsageAccumulator();
    // Whole days before the prune boundary come from the rollups, later ones from the records.
    const boundary = rollupBoundary(this.watermark);
    for (const { dims, totals } of this.rollups.values()) {
      const dayStart = utcDayKeyStart(dims.day);
      if (dayStart >= boundary || !dayOverlaps(dayStart, query.since, query.until)) continue;
      if (matchesWhere(dims, query.where)) acc.add(groupKeyOf(dims, query.by), totals);
    }
    const since = Math.max(query.since ?? Number.NEGATIVE_INFINITY, boundary);
    for (const record of this.stored) {
      if (record.time < since || (query.until !== undefined && record.time >= query.until)) continue;
      const dims = dimensionsOf(record);
      if (matchesWhere(dims, query.where)) acc.add(groupKeyOf(dims, query.by), totalsOf(record));
    }
    return acc.result(query.by);
  }

  async records(query: RecordQuery): Promise<UsageRecord[]> {
    this.assertOpen();
    const found = this.stored.filter(
      (r) =>
        (query.since === undefined || r.time >= query.since) &&
        (query.until === undefined || r.time < query.until) &&
        (query.traceId === undefined || r.traceId === query.traceId) &&
        (query.task === undefined || r.task === query.task) &&
        (query.session === undefined || r.session === query.session),
    );
    return found
      .reverse()
      .slice(0, query.limit ?? 100)
      .map(copyRecord);
  }

  async prune(before: number): Promise<number> {
    this.assertOpen();
    // Records are sorted by time: the pruned ones are a prefix.
    let deleted = 0;
    while (deleted < this.stored.length && (this.stored[deleted] as UsageRecord).time < before) deleted++;
    // Pruned records are forgotten (as the SQLite store forgets them with the rows).
    for (let i = 0; i < deleted; i++) this.settledKeys.delete(recordKey(this.stored[i] as UsageRecord));
    if (deleted > 0) this.stored = this.stored.slice(deleted);
    this.watermark = Math.max(this.watermark ?? before, before);
    // A counter whose window ended is forgotten, unless a live reservation is still held against it.
    // (forEach: a pass over every counter, without an entry array per counter; none while no window can have ended.)
    if (this.countersEndFrom <= before) {
      this.countersEndFrom = Number.POSITIVE_INFINITY;
      this.counters.forEach((counter, key) => {
        if (counter.expiresAt === undefined) return;
        if (counter.expiresAt <= before && !this.isHeld(key)) this.counters.delete(key);
        else this.countersEndFrom = Math.min(this.countersEndFrom, counter.expiresAt);
      });
    }
    // Rolling entries that no window reaching `before` or later can count.
    this.rolling.forEach((entries, key) => {
      if (entries.every((e) => e.time + e.rollingMs > before)) return;
      const live = entries.filter((e) => e.time + e.rollingMs > before);
      if (live.length === 0) this.rolling.delete(key);
      else this.rolling.set(key, live);
    });
    this.dropExpired(before);
    return deleted;
  }

  async listBudgets(): Promise<StoredBudget[]> {
    this.assertOpen();
    return [...this.budgets.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((b) => structuredClone(b));
  }

  async putBudget(budget: StoredBudget): Promise<void> {
    this.assertOpen();
    this.budgets.set(budget.id, structuredClone(budget));
  }

  async deleteBudget(id: string): Promise<boolean> {
    this.assertOpen();
    return this.budgets.delete(id);
  }

  async resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void> {
    this.assertOpen();
    if (bucketKeys === undefined) {
      this.counters.clear();
      this.rolling.clear();
    } else {
      for (const key of bucketKeys) {
        this.counters.delete(key);
        this.rolling.delete(key);
      }
    }
    this.resetLog.push({ ...reset });
  }

  async resets(limit = 100): Promise<ResetRecord[]> {
    this.assertOpen();
    return [...this.resetLog]
      .reverse()
      .slice(0, Math.max(0, limit))
      .map((r) => ({ ...r }));
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('memory');
  }

  /** Whether a live reservation holds an amount in the bucket. */
  private isHeld(key: string): boolean {
    for (const r of this.reservations.values()) if (r.keys.includes(key)) return true;
    return false;
  }

  /**
   * Forgets the reservations expired at `now`. An expired reservation is gone for good,
   * even if the clock later moves back.
   */
  private dropExpired(now: number): void {
    for (const [id, r] of this.reservations) if (r.expiresAt <= now) this.reservations.delete(id);
  }

  /** Every bucket's state at `now`, in request order (expired reservations dropped first). */
  private statesAt(buckets: readonly Bucket[], now: number): BucketState[] {
    this.dropExpired(now);
    return buckets.map((b) => this.stateOf(b, now));
  }

  /** The bucket at `now`: its settled spend in its window, and the live reservations held against it. */
  private stateOf(b: Bucket, now: number): BucketState {
    let spentNanos = 0;
    if (b.rollingMs === undefined) {
      spentNanos = this.counters.get(b.key)?.spentNanos ?? 0;
    } else {
      const from = now - b.rollingMs;
      for (const e of this.rolling.get(b.key) ?? []) if (e.time > from && e.time <= now) spentNanos += e.amountNanos;
    }
    let reservedNanos = 0;
    for (const r of this.reservations.values()) if (r.keys.includes(b.key)) reservedNanos += r.amountNanos;
    return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos };
  }

  /** Adds a settled cost to one bucket: at `time` for a rolling window, to the counter otherwise. */
  private charge(b: Bucket, costNanos: Nanos, time: number): void {
    if (b.rollingMs !== undefined) {
      if (costNanos === 0) return;
      const entries = this.rolling.get(b.key) ?? [];
      entries.push({ time, amountNanos: costNanos, rollingMs: b.rollingMs });
      this.rolling.set(b.key, entries);
      return;
    }
    const counter = this.counters.get(b.key) ?? { spentNanos: 0, expiresAt: undefined };
    counter.spentNanos += costNanos;
    if (b.expiresAt !== undefined) {
      counter.expiresAt = Math.max(counter.expiresAt ?? b.expiresAt, b.expiresAt);
      this.countersEndFrom = Math.min(this.countersEndFrom, counter.expiresAt);
    }
    this.counters.set(b.key, counter);
  }

  /** Keeps `stored` sorted by time; a record settled out of time order goes after the others of its time. */
  private insertRecord(record: UsageRecord): void {
    const last = this.stored[this.stored.length - 1];
    if (last === undefined || last.time <= record.time) {
      this.stored.push(record);
      return;
    }
    const at = this.stored.findIndex((r) => r.time > record.time);
    this.stored.splice(at, 0, record);
  }

  private addToRollup(record: UsageRecord): void {
    const dims = dimensionsOf(record);
    // Dimension values never contain NUL: joined with it, they are one unambiguous key. (join makes
    // one flat string; a template literal would keep a tree of its 25 parts alive in the map.)
    const key = [
      dims.day,
      dims.provider,
      dims.model,
      dims.operation,
      dims.status,
      dims.task,
      dims.session,
      dims.agent,
      dims.user,
      dims.team,
      dims.apiKey,
      JSON.stringify(dims.tags),
      JSON.stringify(dims.metadata),
    ].join('\u0000');
    const rollup = this.rollups.get(key);
    if (rollup === undefined) {
      this.rollups.set(key, { dims, totals: totalsOf(record) });
      return;
    }
    addTotals(rollup.totals, totalsOf(record));
  }
}

/** A copy the caller cannot change the stored record through (and the other way round). */
function copyRecord(record: UsageRecord): UsageRecord {
  const copy = record.metadata === undefined ? { ...record } : { ...record, metadata: { ...record.metadata } };
  if (record.tags !== undefined) copy.tags = [...record.tags];
  return copy;
}

/** What identifies a stored record, as the SQLite store's unique index does: its time and id. */
function recordKey(record: UsageRecord): string {
  return `${record.time} ${record.id}`;
}
