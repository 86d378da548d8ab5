import type { Bucket, BucketState, ReserveRequest } from '../Ledger.js';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { distinctBuckets } from '../distinctBuckets.js';

/** A settlement waiting to be written. */
export interface PendingSettlement {
  record: UsageRecord;
  buckets: readonly Bucket[];
}

/** This process's live reservation, known without reading the file. */
interface OwnReservation {
  amountNanos: number;
  keys: readonly string[];
  expiresAt: number;
}

/** Own reservations remembered before expired ones are forgotten. */
const OWN_SWEEP_SIZE = 10_000;

/**
 * The settlements of a SQLite ledger with durability 'batched' that are not written yet,
 * and what they change in this process's view of the buckets: their spend, and the
 * reservations they release (which stay in the file until the settlements are written).
 * Reads in this process add `adjust` to what the file holds, so they are exact at once.
 */
export class SettlementQueue {
  /** Queued settlements by record id, in settle order. */
  private readonly pending = new Map<string, PendingSettlement>();
  /** Queued spend per fixed / calendar bucket key. */
  private readonly spent = new Map<string, number>();
  /** Queued spend per rolling bucket key, by record time. */
  private readonly rolling = new Map<string, { time: number; amountNanos: number }[]>();
  /** Per bucket key, the reservations queued settlements release once written. */
  private readonly released = new Map<string, number>();
  /** This process's live reservations (a queued settlement releases its own at once). */
  private readonly own = new Map<string, OwnReservation>();

  /** Number of queued settlements. */
  get size(): number {
    return this.pending.size;
  }

  /** true when a settlement with this record id is queued. */
  has(id: string): boolean {
    return this.pending.has(id);
  }

  /** Remembers the outcome of one of this process's reservations (one with the same id is replaced). */
  reserved(req: ReserveRequest, ok: boolean): void {
    this.own.delete(req.id);
    if (!ok || req.buckets.length === 0) return;
    this.own.set(req.id, { amountNanos: req.amountNanos, keys: distinctBuckets(req.buckets).map((b) => b.key), expiresAt: req.expiresAt });
    // Reservations never settled nor released (a call that died) are forgotten once expired.
    if (this.own.size > OWN_SWEEP_SIZE) for (const [id, r] of this.own) if (r.expiresAt <= req.now) this.own.delete(id);
  }

  /** Forgets one of this process's reservations (released). */
  forget(id: string): void {
    this.own.delete(id);
  }

  /** Queues a settlement (once per record id) and counts it in this process's view of its buckets. */
  enqueue(record: UsageRecord, buckets: readonly Bucket[]): void {
    if (this.pending.has(record.id)) return;
    this.pending.set(record.id, { record, buckets });
    const own = this.own.get(record.id);
    if (own !== undefined) {
      this.own.delete(record.id);
      for (const key of own.keys) this.released.set(key, (this.released.get(key) ?? 0) + own.amountNanos);
    }
    for (const b of distinctBuckets(buckets)) {
      if (b.rollingMs === undefined) {
        this.spent.set(b.key, (this.spent.get(b.key) ?? 0) + record.costNanos);
      } else if (record.costNanos !== 0) {
        const entries = this.rolling.get(b.key) ?? [];
        entries.push({ time: record.time, amountNanos: record.costNanos });
        this.rolling.set(b.key, entries);
      }
    }
  }

  /** The bucket's state at `now` as the file holds it, plus the queued spend, minus the reservations queued settlements release. */
  adjust(state: BucketState, b: Bucket, now: number): BucketState {
    if (this.pending.size === 0) return state;
    let spentNanos = state.spentNanos;
    if (b.rollingMs === undefined) {
      spentNanos += this.spent.get(b.key) ?? 0;
    } else {
      for (const e of this.rolling.get(b.key) ?? []) if (e.time > now - b.rollingMs && e.time <= now) spentNanos += e.amountNanos;
    }
    const reservedNanos = Math.max(0, state.reservedNanos - (this.released.get(b.key) ?? 0));
    return { ...state, spentNanos, reservedNanos };
  }

  /** The queued settlements, in settle order. */
  batch(): PendingSettlement[] {
    return [...this.pending.values()];
  }

  /** Forgets the queued settlements (once written). */
  clear(): void {
    this.pending.clear();
    this.spent.clear();
    this.rolling.clear();
    this.released.clear();
  }
}
