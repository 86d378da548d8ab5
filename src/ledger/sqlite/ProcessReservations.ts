import type { Nanos } from '../../core/money.js';

/** A live reservation of this process: its amount is held in each of its buckets until settled, released or expired. */
interface HeldReservation {
  amountNanos: Nanos;
  /** Each bucket key once. */
  keys: readonly string[];
  expiresAt: number;
}

/** What this process holds against one bucket: the row it keeps in `bucket_holds`. */
interface BucketHold {
  /** Sum of the live reservations on the bucket. */
  reservedNanos: Nanos;
  /** Ids of those reservations. */
  ids: Set<string>;
  /** The latest expiry among them (`stale`: a reservation that had it is gone; recomputed on read). */
  expiresAt: number;
  stale: boolean;
}

/** A change made during the current group, and how to undo it. */
type Change = { added: string } | { removed: string; reservation: HeldReservation };

/** The row this process keeps for a bucket: its reserved sum and latest expiry; undefined when it holds nothing there. */
export interface HoldRow {
  reservedNanos: Nanos;
  expiresAt: number;
}

/**
 * The live reservations of one SqliteLedger, held in memory: by id, and summed per bucket.
 *
 * The file holds one row per (ledger instance, bucket) with the sum and the latest expiry
 * (`bucket_holds`), written once per group for each bucket whose sum changed (`dirtyKeys`), so
 * the other processes on the file count them, and a process killed with SIGKILL leaves rows that
 * stop counting at their expiry. Changes made during a group are logged, so that a group whose
 * transaction fails leaves memory as the file is (`rollback`).
 */
export class ProcessReservations {
  private readonly byId = new Map<string, HeldReservation>();
  private readonly byKey = new Map<string, BucketHold>();
  /** No live reservation expires before this (a lower bound: removals do not raise it). */
  private earliest = Number.POSITIVE_INFINITY;
  private changes: Change[] = [];
  private readonly dirty = new Set<string>();

  /** Holds `amountNanos` in each key until `expiresAt`; a live reservation with the same id is replaced. */
  add(id: string, amountNanos: Nanos, keys: readonly string[], expiresAt: number): void {
    this.remove(id);
    this.put(id, { amountNanos, keys, expiresAt });
    this.changes.push({ added: id });
  }

  /**
   * Holds a reservation admitted outside any group (from slack): its amount was already held in
   * the file, so its buckets' rows are not marked changed, and no group's rollback undoes it.
   */
  admitted(id: string, amountNanos: Nanos, keys: readonly string[], expiresAt: number): void {
    this.put(id, { amountNanos, keys, expiresAt }, false);
  }

  /** The amount of the live reservation with this id; 0 when there is none. */
  amountOf(id: string): Nanos {
    return this.byId.get(id)?.amountNanos ?? 0;
  }

  /** Whether a live reservation has this id. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Whether a reservation may have expired at `now` (dropExpired would have work). */
  mayExpireBy(now: number): boolean {
    return now >= this.earliest;
  }

  /** Drops the reservation; false when this process holds none with that id. */
  remove(id: string): boolean {
    const reservation = this.byId.get(id);
    if (reservation === undefined) return false;
    this.take(id, reservation);
    this.changes.push({ removed: id, reservation });
    return true;
  }

  /** Drops every reservation expired at `now` (`expiresAt <= now`): gone for good, even if the clock later moves back. */
  dropExpired(now: number): void {
    if (now < this.earliest) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, r] of this.byId) {
      if (r.expiresAt <= now) this.remove(id);
      else earliest = Math.min(earliest, r.expiresAt);
    }
    this.earliest = earliest;
  }

  /** The sum this process holds against `key` (call dropExpired first). */
  reservedIn(key: string): Nanos {
    return this.byKey.get(key)?.reservedNanos ?? 0;
  }

  /** Whether this process holds a live reservation against `key`. */
  holds(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The buckets whose row changed since the last `written`, `commit` or `rollback`. */
  dirtyKeys(): Iterable<string> {
    return this.dirty;
  }

  /** The row this process keeps for `key`; undefined when it holds nothing there. */
  rowOf(key: string): HoldRow | undefined {
    const hold = this.byKey.get(key);
    if (hold === undefined) return undefined;
    if (hold.stale) {
      let latest = Number.NEGATIVE_INFINITY;
      for (const id of hold.ids) latest = Math.max(latest, (this.byId.get(id) as HeldReservation).expiresAt);
      hold.expiresAt = latest;
      hold.stale = false;
    }
    return { reservedNanos: hold.reservedNanos, expiresAt: hold.expiresAt };
  }

  /** The rows of `dirtyKeys` were written (in the group's transaction). */
  written(): void {
    this.dirty.clear();
  }

  /** The group's transaction committed: its changes are kept. */
  commit(): void {
    this.changes = [];
    this.dirty.clear();
  }

  /** The group's transaction did not commit: its changes are undone, newest first. */
  rollback(): void {
    const changes = this.changes;
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i] as Change;
      if ('added' in change) this.take(change.added, this.byId.get(change.added) as HeldReservation);
      else this.put(change.removed, change.reservation);
    }
    this.changes = [];
    this.dirty.clear();
  }

  private put(id: string, reservation: HeldReservation, mark = true): void {
    this.byId.set(id, reservation);
    this.earliest = Math.min(this.earliest, reservation.expiresAt);
    for (const key of reservation.keys) {
      const hold = this.byKey.get(key);
      if (hold === undefined) {
        this.byKey.set(key, { reservedNanos: reservation.amountNanos, ids: new Set([id]), expiresAt: reservation.expiresAt, stale: false });
      } else {
        hold.reservedNanos += reservation.amountNanos;
        hold.ids.add(id);
        if (reservation.expiresAt > hold.expiresAt) hold.expiresAt = reservation.expiresAt;
      }
      if (mark) this.dirty.add(key);
    }
  }

  private take(id: string, reservation: HeldReservation): void {
    this.byId.delete(id);
    for (const key of reservation.keys) {
      const hold = this.byKey.get(key) as BucketHold;
      hold.ids.delete(id);
      if (hold.ids.size === 0) this.byKey.delete(key);
      else {
        hold.reservedNanos -= reservation.amountNanos;
        if (reservation.expiresAt >= hold.expiresAt) hold.stale = true;
      }
      this.dirty.add(key);
    }
  }
}
