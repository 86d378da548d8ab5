import { MS_PER_DAY, utcDayKey, utcDayKeyStart, utcDayStart } from '../time/utcWindows.js';
import type {
  Bucket,
  BucketState,
  Ledger,
  Nanos,
  RecordQuery,
  ReserveRequest,
  ReserveResult,
  StoredBudget,
  UsageGroup,
  UsageQuery,
  UsageRecord,
} from './Ledger.js';
import { LedgerClosedError } from './LedgerClosedError.js';
import { UsageAccumulator } from './UsageAccumulator.js';
import type { UsageTotals } from './UsageAccumulator.js';
import {
  dayOverlaps,
  dimensionsOf,
  groupKeyOf,
  matchesWhere,
  rollupBoundary,
  totalsOf,
} from './usageDimensions.js';
import type { UsageDimensions } from './usageDimensions.js';

interface Reservation {
  amountNanos: Nanos;
  keys: string[];
  expiresAt: number;
}

interface Counter {
  spentNanos: Nanos;
  expiresAt: number | undefined;
}

interface RollingCounter {
  rollingMs: number;
  /** Settled amounts by record time, in settle order. */
  entries: { time: number; amountNanos: Nanos }[];
}

interface Rollup {
  dims: UsageDimensions;
  totals: UsageTotals;
}

/**
 * A Ledger held in process memory: fast, exact, gone when the process ends.
 * Every method answers synchronously. The reference implementation of the Ledger
 * contract, and the store tests use.
 */
export class MemoryLedger implements Ledger {
  private readonly reservations = new Map<string, Reservation>();
  private readonly counters = new Map<string, Counter>();
  private readonly rolling = new Map<string, RollingCounter>();
  /** Sorted by time ascending; equal times in settle order. */
  private readonly stored: UsageRecord[] = [];
  private readonly settled = new Set<string>();
  private readonly rollups = new Map<string, Rollup>();
  private readonly budgets = new Map<string, StoredBudget>();
  private watermark: number | undefined;
  private lastDay: { start: number; key: string } | undefined;
  private lastRollup: Rollup | undefined;
  private closed = false;

  reserve(req: ReserveRequest): ReserveResult {
    this.assertOpen();
    this.dropExpiredReservations(req.now);
    this.dropReservation(req.id);
    const states = req.buckets.map((b) => this.stateOf(b, req.now));
    for (let i = 0; i < req.buckets.length; i++) {
      const b = req.buckets[i] as Bucket;
      const s = states[i] as BucketState;
      if (b.enforce && s.spentNanos + s.reservedNanos + req.amountNanos > b.limitNanos) {
        return { ok: false, failed: s, states };
      }
    }
    this.reservations.set(req.id, {
      amountNanos: req.amountNanos,
      keys: req.buckets.length === 1 ? [(req.buckets[0] as Bucket).key] : [...new Set(req.buckets.map((b) => b.key))],
      expiresAt: req.expiresAt,
    });
    // The states are this call's own objects (stateOf builds them): count the new reservation in place.
    for (const s of states) s.reservedNanos += req.amountNanos;
    return { ok: true, states };
  }

  settle(record: UsageRecord, buckets: readonly Bucket[]): void {
    this.assertOpen();
    if (this.settled.has(record.id)) return;
    this.settled.add(record.id);
    this.dropReservation(record.id);
    this.insertRecord(cloneRecord(record));
    this.addToRollup(record);
    for (const b of buckets.length <= 1 ? buckets : new Map(buckets.map((x) => [x.key, x])).values()) {
      if (b.rollingMs !== undefined) {
        let counter = this.rolling.get(b.key);
        if (counter === undefined) {
          counter = { rollingMs: b.rollingMs, entries: [] };
          this.rolling.set(b.key, counter);
        }
        counter.rollingMs = Math.max(counter.rollingMs, b.rollingMs);
        if (record.costNanos !== 0) counter.entries.push({ time: record.time, amountNanos: record.costNanos });
      } else {
        const counter = this.counters.get(b.key);
        if (counter === undefined) {
          this.counters.set(b.key, { spentNanos: record.costNanos, expiresAt: b.expiresAt });
        } else {
          counter.spentNanos += record.costNanos;
          if (b.expiresAt !== undefined) counter.expiresAt = Math.max(counter.expiresAt ?? b.expiresAt, b.expiresAt);
        }
      }
    }
  }

  release(id: string): void {
    this.assertOpen();
    this.dropReservation(id);
  }

  bucketStates(buckets: readonly Bucket[], now: number): BucketState[] {
    this.assertOpen();
    return buckets.map((b) => this.stateOf(b, now));
  }

  usage(query: UsageQuery): UsageGroup[] {
    this.assertOpen();
    const acc = new UsageAccumulator();
    const boundary = rollupBoundary(this.watermark);
    if (this.watermark !== undefined) {
      for (const { dims, totals } of this.rollups.values()) {
        const dayStart = utcDayKeyStart(dims.day);
        if (dayStart >= boundary || !dayOverlaps(dayStart, query.since, query.until)) continue;
        if (!matchesWhere(dims, query.where)) continue;
        acc.add(groupKeyOf(dims, query.by), totals);
      }
    }
    const since = Math.max(query.since ?? Number.NEGATIVE_INFINITY, boundary);
    for (const r of this.stored) {
      if (r.time < since) continue;
      if (query.until !== undefined && r.time >= query.until) break;
      const dims = dimensionsOf(r);
      if (!matchesWhere(dims, query.where)) continue;
      acc.add(groupKeyOf(dims, query.by), totalsOf(r));
    }
    return acc.result(query.by);
  }

  records(query: RecordQuery): UsageRecord[] {
    this.assertOpen();
    const limit = query.limit ?? 100;
    const out: UsageRecord[] = [];
    for (let i = this.stored.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.stored[i] as UsageRecord;
      if (query.until !== undefined && r.time >= query.until) continue;
      if (query.since !== undefined && r.time < query.since) break;
      if (query.traceId !== undefined && r.traceId !== query.traceId) continue;
      if (query.task !== undefined && r.task !== query.task) continue;
      if (query.session !== undefined && r.session !== query.session) continue;
      out.push(cloneRecord(r));
    }
    return out;
  }

  prune(before: number): number {
    this.assertOpen();
    let cut = 0;
    while (cut < this.stored.length && (this.stored[cut] as UsageRecord).time < before) cut++;
    const removed = this.stored.splice(0, cut);
    for (const r of removed) this.settled.delete(r.id);
    this.watermark = Math.max(this.watermark ?? before, before);
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt !== undefined && counter.expiresAt <= before) this.counters.delete(key);
    }
    for (const [key, counter] of this.rolling) {
      counter.entries = counter.entries.filter((e) => e.time + counter.rollingMs > before);
      if (counter.entries.length === 0) this.rolling.delete(key);
    }
    this.dropExpiredReservations(before);
    return removed.length;
  }

  listBudgets(): StoredBudget[] {
    this.assertOpen();
    return [...this.budgets.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((b) => structuredClone(b));
  }

  putBudget(budget: StoredBudget): void {
    this.assertOpen();
    this.budgets.set(budget.id, structuredClone(budget));
  }

  deleteBudget(id: string): boolean {
    this.assertOpen();
    return this.budgets.delete(id);
  }

  ping(): void {
    this.assertOpen();
  }

  close(): void {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerClosedError('memory');
  }

  private stateOf(b: Bucket, now: number): BucketState {
    let spentNanos = 0;
    if (b.rollingMs !== undefined) {
      const from = now - b.rollingMs;
      for (const e of this.rolling.get(b.key)?.entries ?? []) {
        if (e.time > from && e.time <= now) spentNanos += e.amountNanos;
      }
    } else {
      spentNanos = this.counters.get(b.key)?.spentNanos ?? 0;
    }
    let reservedNanos = 0;
    for (const r of this.reservations.values()) {
      if (r.expiresAt > now && r.keys.includes(b.key)) reservedNanos += r.amountNanos;
    }
    return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos };
  }

  private dropReservation(id: string): void {
    this.reservations.delete(id);
  }

  /** An expired reservation is gone for good, even if the clock later moves back. */
  private dropExpiredReservations(now: number): void {
    for (const [id, r] of this.reservations) {
      if (r.expiresAt <= now) this.reservations.delete(id);
    }
  }

  private insertRecord(record: UsageRecord): void {
    let lo = 0;
    let hi = this.stored.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.stored[mid] as UsageRecord).time <= record.time) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.stored.length) this.stored.push(record);
    else this.stored.splice(lo, 0, record);
  }

  private addToRollup(record: UsageRecord): void {
    const day = this.dayKey(record.time);
    let rollup = this.lastRollup;
    // Consecutive records mostly share their dimensions: compare with the last rollup before building a key.
    if (rollup === undefined || !sameDimensions(rollup.dims, day, record)) {
      const id = JSON.stringify([day, record.provider, record.model, record.operation, record.status, record.task ?? '', record.session ?? '', record.agent ?? '']);
      rollup = this.rollups.get(id);
      if (rollup === undefined) {
        rollup = { dims: dimensionsOf(record), totals: totalsOf(record) };
        this.rollups.set(id, rollup);
        this.lastRollup = rollup;
        return;
      }
      this.lastRollup = rollup;
    }
    const t = rollup.totals;
    t.calls += 1;
    if (record.status === 'error') t.errors += 1;
    t.inputTokens += record.inputTokens;
    t.outputTokens += record.outputTokens;
    t.cacheReadTokens += record.cacheReadTokens;
    t.cacheWriteTokens += record.cacheWriteTokens;
    t.reasoningTokens += record.reasoningTokens;
    t.costNanos += record.costNanos;
  }

  /** `utcDayKey(time)`, remembered for the current day (records mostly arrive in time order). */
  private dayKey(time: number): string {
    const c = this.lastDay;
    if (c !== undefined && time >= c.start && time < c.start + MS_PER_DAY) return c.key;
    const start = utcDayStart(time);
    const key = utcDayKey(time);
    this.lastDay = { start, key };
    return key;
  }
}

function sameDimensions(dims: UsageDimensions, day: string, r: UsageRecord): boolean {
  return (
    dims.day === day &&
    dims.provider === r.provider &&
    dims.model === r.model &&
    dims.operation === r.operation &&
    dims.status === r.status &&
    dims.task === (r.task ?? '') &&
    dims.session === (r.session ?? '') &&
    dims.agent === (r.agent ?? '')
  );
}

function cloneRecord(record: UsageRecord): UsageRecord {
  return record.metadata === undefined ? { ...record } : { ...record, metadata: { ...record.metadata } };
}
