import { MS_PER_DAY, utcDayKey, utcDayKeyStart, utcDayStart } from '../time/utcWindows.js';
import type { Bucket, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, StoredBudget, UsageGroup, UsageQuery } from './Ledger.js';
import type { Nanos } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
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
import { CallIdTable } from './memory/CallIdTable.js';
import { RecordColumns } from './memory/RecordColumns.js';

/**
 * A live reservation. The objects are reused: the slot a settlement frees serves the next
 * reservation, so holding one allocates nothing.
 */
interface Reservation {
  /** The call id; '' while the slot is free. */
  id: string;
  amountNanos: Nanos;
  /** The counter it is held against, when there is one (the common case). */
  counter: BucketCounter | undefined;
  /** The counters it is held against (each once), when there are several. */
  counters: BucketCounter[] | undefined;
  expiresAt: number;
}

/** What `live.get` answers for an id without a live reservation. */
const NONE = -1;

/** Settled amounts of a rolling-window bucket by record time, with prefix sums for O(log n) window sums. */
interface RollingEntries {
  rollingMs: number;
  /** Record times, ascending (equal times in settle order). */
  times: number[];
  /** prefix[i] = sum of the amounts of entries [0, i); prefix[0] = 0. Rebased when old entries are pruned. */
  prefix: number[];
}

/** One bucket's counter: settled spend (calendar / fixed windows) or entries (rolling), and live reservations. */
interface BucketCounter {
  spentNanos: Nanos;
  /** Sum of the live reservations held against this bucket. */
  reservedNanos: Nanos;
  expiresAt: number | undefined;
  rolling: RollingEntries | undefined;
}

interface Rollup {
  dims: UsageDimensions;
  totals: UsageTotals;
}

/**
 * A Ledger held in process memory: fast, exact, gone when the process ends.
 * Every method answers synchronously. The reference implementation of the Ledger
 * contract, and the store tests use.
 *
 * Costs per call: a reservation and a settlement are O(buckets): each bucket keeps its
 * spend and the sum of its live reservations; expired reservations are swept only when the
 * earliest of them has passed; a rolling window's spend is a difference of prefix sums.
 * Records are kept in columns and call ids as words (see RecordColumns, CallIdTable): hours of
 * records add no object per call for the garbage collector to trace and move.
 */
export class MemoryLedger implements Ledger {
  /** Call id → slot of its live reservation (few: the calls in flight). */
  private readonly live = new CallIdTable();
  /** The ids settled, until prune forgets those of the records it deletes (many; apart, so that `live` stays small). */
  private readonly settledIds = new CallIdTable();
  /** Live reservations by slot; free slots have id ''. */
  private readonly slots: Reservation[] = [];
  private readonly freeSlots: number[] = [];
  private readonly counters = new Map<string, BucketCounter>();
  /** No live reservation expires before this (a lower bound: the sweep runs when now reaches it). */
  private nextExpiry = Number.POSITIVE_INFINITY;
  /** Sorted by time ascending; equal times in settle order. */
  private readonly stored = new RecordColumns();
  private readonly rollups = new Map<string, Rollup>();
  private readonly budgets = new Map<string, StoredBudget>();
  private watermark: number | undefined;
  private lastDay: { start: number; key: string } | undefined;
  private lastRollup: Rollup | undefined;
  private closed = false;

  reserve(req: ReserveRequest): ReserveResult {
    this.assertOpen();
    this.sweepExpired(req.now);
    // Reserving an id again replaces its reservation. (One under an id already settled is held
    // until released or expired, and never charged: settling the id again changes nothing.)
    const previous = this.live.take(req.id);
    if (previous !== NONE) this.freeSlot(previous);
    const buckets = req.buckets;
    const n = buckets.length;
    const states: BucketState[] = new Array<BucketState>(n);
    // The counters found (one bucket, the common case, needs no array).
    let first: BucketCounter | undefined;
    const found = n > 1 ? new Array<BucketCounter | undefined>(n) : undefined;
    let failed: BucketState | undefined;
    for (let i = 0; i < n; i++) {
      const b = buckets[i] as Bucket;
      const counter = this.counters.get(b.key);
      if (i === 0) first = counter;
      if (found !== undefined) found[i] = counter;
      const s = stateFrom(counter, b, req.now);
      states[i] = s;
      if (failed === undefined && b.enforce && s.spentNanos + s.reservedNanos + req.amountNanos > b.limitNanos) failed = s;
    }
    if (failed !== undefined) return { ok: false, failed, states };
    const slot = this.takeSlot();
    const held = this.slots[slot] as Reservation;
    held.id = req.id;
    held.amountNanos = req.amountNanos;
    held.expiresAt = req.expiresAt;
    for (let i = 0; i < n; i++) {
      const counter = (i === 0 ? first : found?.[i]) ?? this.counterOf(buckets[i] as Bucket);
      (states[i] as BucketState).reservedNanos += req.amountNanos;
      if (i === 0) {
        held.counter = counter;
      } else {
        // A key listed twice is one counter: reserve in it once.
        const list = (held.counters ??= [held.counter as BucketCounter]);
        if (list.includes(counter)) continue;
        list.push(counter);
      }
      counter.reservedNanos += req.amountNanos;
    }
    this.live.set(req.id, slot);
    if (req.expiresAt < this.nextExpiry) this.nextExpiry = req.expiresAt;
    return { ok: true, states };
  }

  settle(record: UsageRecord, buckets: readonly Bucket[]): BucketState[] {
    this.assertOpen();
    if (!this.settledIds.add(record.id, 1)) return this.bucketStates(buckets, record.time);
    const slot = this.live.take(record.id);
    if (slot !== NONE) this.freeSlot(slot);
    this.stored.insert(record);
    this.addToRollup(record);
    const n = buckets.length;
    // A key listed twice is one counter, charged once (one bucket, the common case, needs no check).
    const seen: BucketCounter[] | undefined = n > 1 ? [] : undefined;
    let only: BucketCounter | undefined;
    for (let i = 0; i < n; i++) {
      const b = buckets[i] as Bucket;
      const counter = this.counterOf(b);
      only = counter;
      if (seen !== undefined) {
        if (seen.includes(counter)) continue;
        seen.push(counter);
      }
      if (b.rollingMs !== undefined) {
        const entries = (counter.rolling ??= { rollingMs: b.rollingMs, times: [], prefix: [0] });
        entries.rollingMs = Math.max(entries.rollingMs, b.rollingMs);
        if (record.costNanos !== 0) addRollingEntry(entries, record.time, record.costNanos);
      } else {
        counter.spentNanos += record.costNanos;
        if (b.expiresAt !== undefined) counter.expiresAt = Math.max(counter.expiresAt ?? b.expiresAt, b.expiresAt);
      }
    }
    if (n !== 1) return this.bucketStates(buckets, record.time);
    this.sweepExpired(record.time);
    return [stateFrom(only, buckets[0] as Bucket, record.time)];
  }

  release(id: string): void {
    this.assertOpen();
    const slot = this.live.take(id);
    if (slot !== NONE) this.freeSlot(slot);
  }

  bucketStates(buckets: readonly Bucket[], now: number): BucketState[] {
    this.assertOpen();
    this.sweepExpired(now);
    const states: BucketState[] = new Array<BucketState>(buckets.length);
    for (let i = 0; i < buckets.length; i++) states[i] = this.stateOf(buckets[i] as Bucket, now);
    return states;
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
    const stored = this.stored;
    const since = Math.max(query.since ?? Number.NEGATIVE_INFINITY, boundary);
    for (let i = stored.lowerBound(since); i < stored.length; i++) {
      if (query.until !== undefined && stored.timeAt(i) >= query.until) break;
      const dims = stored.dimensionsAt(i);
      if (!matchesWhere(dims, query.where)) continue;
      acc.add(groupKeyOf(dims, query.by), stored.totalsAt(i));
    }
    return acc.result(query.by);
  }

  records(query: RecordQuery): UsageRecord[] {
    this.assertOpen();
    const limit = query.limit ?? 100;
    const out: UsageRecord[] = [];
    const stored = this.stored;
    const end = query.until === undefined ? stored.length : stored.lowerBound(query.until);
    for (let i = end - 1; i >= 0 && out.length < limit; i--) {
      if (query.since !== undefined && stored.timeAt(i) < query.since) break;
      if (query.task !== undefined && stored.taskAt(i) !== query.task) continue;
      if (query.session !== undefined && stored.sessionAt(i) !== query.session) continue;
      if (query.traceId !== undefined && stored.traceIdAt(i) !== query.traceId) continue;
      out.push(stored.recordAt(i));
    }
    return out;
  }

  prune(before: number): number {
    this.assertOpen();
    const stored = this.stored;
    const cut = stored.lowerBound(before);
    // The ids of pruned records are forgotten: settling one again would charge it again.
    const ids = this.settledIds;
    stored.forEachId(
      cut,
      (hi, lo) => ids.deleteWords(hi, lo),
      (id) => ids.delete(id),
    );
    ids.compact();
    stored.dropFirst(cut);
    this.watermark = Math.max(this.watermark ?? before, before);
    for (const [key, counter] of this.counters) {
      const rolling = counter.rolling;
      if (rolling !== undefined) pruneRollingEntries(rolling, before);
      const empty = rolling === undefined ? counter.expiresAt !== undefined && counter.expiresAt <= before : rolling.times.length === 0;
      // A counter still holding live reservations stays until they are settled, released or expired.
      if (empty && counter.reservedNanos === 0) this.counters.delete(key);
    }
    this.sweepExpired(before);
    return cut;
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

  private counterOf(b: Bucket): BucketCounter {
    let counter = this.counters.get(b.key);
    if (counter === undefined) {
      counter = { spentNanos: 0, reservedNanos: 0, expiresAt: b.expiresAt, rolling: undefined };
      this.counters.set(b.key, counter);
    }
    return counter;
  }

  /** The bucket at `now` (expired reservations already swept at `now`). */
  private stateOf(b: Bucket, now: number): BucketState {
    return stateFrom(this.counters.get(b.key), b, now);
  }

  /** A free reservation slot (a new one when none is free). */
  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    this.slots.push({ id: '', amountNanos: 0, counter: undefined, counters: undefined, expiresAt: 0 });
    return this.slots.length - 1;
  }

  /** Gives back what the reservation in `slot` holds and frees the slot (its entry in `live` is the caller's). */
  private freeSlot(slot: number): void {
    const held = this.slots[slot] as Reservation;
    if (held.counters !== undefined) for (const counter of held.counters) counter.reservedNanos -= held.amountNanos;
    else if (held.counter !== undefined) held.counter.reservedNanos -= held.amountNanos;
    held.id = '';
    held.counter = undefined;
    held.counters = undefined;
    this.freeSlots.push(slot);
  }

  /**
   * Drops reservations that expired by `now`; an expired reservation is gone for good, even if
   * the clock later moves back. Runs only once the earliest live reservation has expired.
   */
  private sweepExpired(now: number): void {
    if (now < this.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < this.slots.length; slot++) {
      const held = this.slots[slot] as Reservation;
      if (held.id === '') continue;
      if (held.expiresAt <= now) {
        this.live.delete(held.id);
        this.freeSlot(slot);
      } else if (held.expiresAt < next) {
        next = held.expiresAt;
      }
    }
    this.nextExpiry = next;
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

/** A bucket's state from its counter (none yet: empty) at `now`. */
function stateFrom(counter: BucketCounter | undefined, b: Bucket, now: number): BucketState {
  let spentNanos = 0;
  let reservedNanos = 0;
  if (counter !== undefined) {
    reservedNanos = counter.reservedNanos;
    if (b.rollingMs === undefined) spentNanos = counter.spentNanos;
    else if (counter.rolling !== undefined) spentNanos = rollingSum(counter.rolling, now - b.rollingMs, now);
  }
  return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos };
}

/** Index of the first entry with time > t (entries sorted by time). */
function upperBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sum of the amounts settled at times in (from, to]. */
function rollingSum(e: RollingEntries, from: number, to: number): number {
  if (to <= from) return 0;
  return (e.prefix[upperBound(e.times, to)] as number) - (e.prefix[upperBound(e.times, from)] as number);
}

function addRollingEntry(e: RollingEntries, time: number, amount: number): void {
  const n = e.times.length;
  if (n === 0 || (e.times[n - 1] as number) <= time) {
    e.times.push(time);
    e.prefix.push((e.prefix[n] as number) + amount);
    return;
  }
  // Out of time order (a clock moved back): insert, and shift the prefix sums after it.
  const at = upperBound(e.times, time);
  e.times.splice(at, 0, time);
  e.prefix.splice(at + 1, 0, (e.prefix[at] as number) + amount);
  for (let i = at + 2; i < e.prefix.length; i++) e.prefix[i] = (e.prefix[i] as number) + amount;
}

/** Forgets entries that no window can reach any more (time + rollingMs <= before); rebases the sums to stay small. */
function pruneRollingEntries(e: RollingEntries, before: number): void {
  const cut = upperBound(e.times, before - e.rollingMs);
  if (cut === 0) return;
  const base = e.prefix[cut] as number;
  e.times.splice(0, cut);
  e.prefix.splice(0, cut);
  for (let i = 0; i < e.prefix.length; i++) e.prefix[i] = (e.prefix[i] as number) - base;
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
