import type { Nanos } from '../../core/money.js';
import type { Bucket, BucketState, ReserveRequest } from '../Ledger.js';

/** One lease this process holds in one counter, as it knows it. */
export interface Lease {
  /** The counter (bucket key): a calendar window's key names its window, so a lease never outlives it. */
  bucketKey: string;
  budgetId: string;
  limitNanos: Nanos;
  /** The reservation id the lease is held under in Redis. */
  id: string;
  /** What Redis reserved for it (0: there was no room). */
  amountNanos: Nanos;
  /** Spent from it during an outage: reservations of calls admitted from it, then their real cost once settled. */
  usedNanos: Nanos;
  /** The counter's settled spend when the lease was taken (reported as its state during an outage). */
  spentAtTake: Nanos;
  /** Epoch ms (the caller's clock) when it was taken or refreshed. */
  takenAt: number;
  /** Epoch ms until which calls may be admitted from it (Redis holds it twice as long after `takenAt`). */
  usableUntil: number;
  /** The end of the counter's calendar window (epoch ms); undefined for rolling and total counters. */
  windowEnd: number | undefined;
  /** A call was admitted from it during the current outage: it is given back once Redis has the journal. */
  spentFrom: boolean;
}

/** A call admitted from leases while Redis could not be reached. */
interface LocalReservation {
  req: ReserveRequest;
  /** The leased counters it was charged to. */
  keys: string[];
}

/** The local admission's answer, and the leases that it started spending from (to report). */
export interface LeaseAdmission {
  states: BucketState[];
  started: Lease[];
}

/**
 * The accounting of a process' leases (no I/O): which counters it holds a lease in, what is left
 * of each, and the calls it admitted from them while Redis could not be reached. A call is
 * admitted from the leases only when every enforced counter it needs has a lease that is still
 * usable (before `usableUntil`, inside its window) with room for the call's whole reservation;
 * the reservation is charged to each, and replaced by the real cost when the call settles.
 * Counters that are not enforced (warn budgets) need no lease.
 */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private readonly local = new Map<string, LocalReservation>();
  private readonly taking = new Set<string>();
  /** Calls admitted from leases whose settlement is on its way to Redis (or to the journal). */
  private readonly settling = new Set<string>();

  constructor(
    private readonly instance: string,
    private readonly ttlMs: number,
  ) {}

  /** The id a lease in this counter is reserved under (one per process and counter). */
  leaseId(bucketKey: string): string {
    return `lease:${this.instance}:${bucketKey}`;
  }

  /** Whether a lease should be taken or refreshed in this counter now (and marks it as being taken). */
  due(bucket: Bucket, now: number): boolean {
    if (!bucket.enforce || this.taking.has(bucket.key)) return false;
    const lease = this.leases.get(bucket.key);
    if (lease !== undefined && (lease.spentFrom || now - lease.takenAt < this.ttlMs / 4)) return false;
    this.taking.add(bucket.key);
    return true;
  }

  /** Records the lease Redis took (or refreshed) in the counter; `amountNanos` 0 when there was no room. */
  taken(bucket: Bucket, amountNanos: Nanos, spentNanos: Nanos, now: number): void {
    this.taking.delete(bucket.key);
    const held = this.leases.get(bucket.key);
    // Taken while calls were admitted from the old lease: keep what was spent from it.
    const usedNanos = held?.spentFrom === true ? held.usedNanos : 0;
    this.leases.set(bucket.key, {
      bucketKey: bucket.key,
      budgetId: bucket.budgetId,
      limitNanos: bucket.limitNanos,
      id: this.leaseId(bucket.key),
      amountNanos,
      usedNanos,
      spentAtTake: spentNanos,
      takenAt: now,
      usableUntil: now + this.ttlMs,
      windowEnd: bucket.expiresAt,
      spentFrom: held?.spentFrom === true,
    });
  }

  /** A take that got no answer: it may be tried again. */
  takeFailed(bucketKey: string): void {
    this.taking.delete(bucketKey);
  }

  /** The lease in this counter, if any. */
  get(bucketKey: string): Lease | undefined {
    return this.leases.get(bucketKey);
  }

  /**
   * Admits a call from the leases when every enforced counter of `req` has a usable lease with
   * room for `req.amountNanos`: charges it to each and answers with the counters' states as the
   * leases see them (room = what is left of the lease). Undefined (nothing charged) otherwise.
   */
  admit(req: ReserveRequest): LeaseAdmission | undefined {
    const leased: Lease[] = [];
    for (const b of req.buckets) {
      if (!b.enforce || leased.some((l) => l.bucketKey === b.key)) continue;
      const lease = this.leases.get(b.key);
      if (lease === undefined || !usable(lease, req.now) || lease.amountNanos - lease.usedNanos < req.amountNanos) return undefined;
      leased.push(lease);
    }
    if (leased.length === 0) return undefined;
    this.released(req.id);
    const started = leased.filter((l) => !l.spentFrom);
    for (const lease of leased) {
      lease.usedNanos += req.amountNanos;
      lease.spentFrom = true;
    }
    this.local.set(req.id, { req, keys: leased.map((l) => l.bucketKey) });
    const states = req.buckets.map((b): BucketState => {
      const lease = this.leases.get(b.key);
      if (!b.enforce || lease === undefined) return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos: 0, reservedNanos: 0 };
      const room = Math.max(0, lease.amountNanos - lease.usedNanos);
      return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos: lease.spentAtTake, reservedNanos: Math.max(0, b.limitNanos - lease.spentAtTake - room) };
    });
    return { states, started };
  }

  /** A call settled: a call admitted from leases is charged its real cost instead of its reservation. True when it was one. */
  settled(id: string, costNanos: Nanos): boolean {
    const r = this.local.get(id);
    if (r === undefined) return false;
    this.local.delete(id);
    this.settling.add(id);
    for (const key of r.keys) {
      const lease = this.leases.get(key);
      if (lease !== undefined) lease.usedNanos += costNanos - r.req.amountNanos;
    }
    return true;
  }

  /** The settlement of a call admitted from leases is in Redis or in the journal. */
  settleDone(id: string): void {
    this.settling.delete(id);
  }

  /** A call released without cost: a call admitted from leases gives its reservation back. True when it was one. */
  released(id: string): boolean {
    const r = this.local.get(id);
    if (r === undefined) return false;
    this.local.delete(id);
    for (const key of r.keys) {
      const lease = this.leases.get(key);
      if (lease !== undefined) lease.usedNanos -= r.req.amountNanos;
    }
    return true;
  }

  /** Whether calls were admitted from leases during an outage and are not yet back in Redis. */
  get outage(): boolean {
    return this.local.size > 0 || this.settling.size > 0 || [...this.leases.values()].some((l) => l.spentFrom);
  }

  /** Whether every call admitted from leases is in Redis or in the journal (as a reservation or a settlement). */
  get quiet(): boolean {
    return this.local.size === 0 && this.settling.size === 0;
  }

  /** Calls admitted from leases that have not settled yet: they go to Redis as reservations before their leases are given back. */
  inFlight(): ReserveRequest[] {
    return [...this.local.values()].map((r) => r.req);
  }

  /** Drops the calls now held in Redis as reservations (those that settled meanwhile are gone already). */
  movedToRedis(ids: readonly string[]): void {
    for (const id of ids) this.local.delete(id);
  }

  /** Leases spent from during the outage (given back once Redis has the journal and the calls in flight). */
  spent(): Lease[] {
    return [...this.leases.values()].filter((l) => l.spentFrom);
  }

  /** Forgets a lease (given back, or lost with Redis' data). */
  forget(bucketKey: string): void {
    this.leases.delete(bucketKey);
  }

  /** Forgets every lease (Redis lost its data: they are gone there). Calls in flight stay charged. */
  forgetAll(): void {
    this.leases.clear();
  }

  /** The leases held now, with what is left of each. */
  list(now: number): (Lease & { remainingNanos: Nanos; usable: boolean })[] {
    return [...this.leases.values()].map((l) => ({ ...l, remainingNanos: Math.max(0, l.amountNanos - l.usedNanos), usable: usable(l, now) }));
  }
}

/** A lease may be spent from until `usableUntil`, and never after its counter's window ended. */
function usable(lease: Lease, now: number): boolean {
  return now < lease.usableUntil && (lease.windowEnd === undefined || now < lease.windowEnd);
}
