import type { Bucket, BucketState } from '../Ledger.js';
import type { Nanos } from '../../core/money.js';
import type { SqliteStatements } from './prepareStatements.js';
import type { ProcessReservations } from './ProcessReservations.js';

/** A fixed or calendar-window counter as one group sees it. */
interface GroupCounter {
  /** Spend in the file when the group first read it, plus `pending`. */
  spentNanos: Nanos;
  /** Spend the group's settlements added, written once when the group writes. */
  pendingNanos: Nanos;
  /** Whether a settlement of the group charged it (a counter row is then written, even for 0). */
  charged: boolean;
  /** The latest window end the group's settlements gave it. */
  expiresAt: number | undefined;
}

/** Another ledger instance's row for a bucket: its reserved sum until its expiry. */
interface OtherHold {
  r: Nanos;
  e: number;
}

/**
 * The buckets of one group, read once per group and written once per group.
 *
 * The group runs in a `BEGIN IMMEDIATE` transaction: no other process writes while it runs, so
 * what it read stays true until it commits. A bucket's state is its settled spend (a counter read
 * once, plus the group's settlements; rolling windows are summed from their entries at each `now`)
 * and the reservations held against it: this process's (ProcessReservations) and the rows of the
 * other instances on the file that have not expired at `now`. `write` adds the group's spend to
 * each counter and writes this process's row of each bucket whose reservations changed.
 */
export class GroupBuckets {
  private readonly counters = new Map<string, GroupCounter>();
  private readonly others = new Map<string, OtherHold[]>();

  constructor(
    private readonly stmt: SqliteStatements,
    private readonly instance: string,
    private readonly own: ProcessReservations,
  ) {}

  /** The bucket at `now` (this process's expired reservations must be dropped first). */
  stateOf(b: Bucket, now: number): BucketState {
    const spentNanos = b.rollingMs !== undefined ? (this.stmt.rollingSpent.get(b.key, now - b.rollingMs, now)?.n ?? 0) : this.counter(b.key).spentNanos;
    let reservedNanos = this.own.reservedIn(b.key);
    for (const hold of this.othersOf(b.key)) if (hold.e > now) reservedNanos += hold.r;
    return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos, reservedNanos };
  }

  /** Adds a settled cost to the bucket: at `time` for a rolling window (written now), to the counter otherwise (written by `write`). */
  charge(b: Bucket, costNanos: Nanos, time: number): void {
    if (b.rollingMs !== undefined) {
      if (costNanos !== 0) this.stmt.addRolling.run(b.key, time, b.rollingMs, costNanos);
      return;
    }
    const counter = this.counter(b.key);
    counter.spentNanos += costNanos;
    counter.pendingNanos += costNanos;
    counter.charged = true;
    if (b.expiresAt !== undefined) counter.expiresAt = Math.max(counter.expiresAt ?? b.expiresAt, b.expiresAt);
  }

  /** Writes the group's spend and this process's changed rows (in the group's transaction), and forgets what was read. */
  write(): void {
    for (const [key, c] of this.counters) if (c.charged) this.stmt.addCounter.run(key, c.pendingNanos, c.expiresAt ?? null);
    for (const key of this.own.dirtyKeys()) {
      const row = this.own.rowOf(key);
      if (row === undefined) this.stmt.deleteHold.run(key, this.instance);
      else this.stmt.upsertHold.run(key, this.instance, row.reservedNanos, row.expiresAt);
    }
    this.own.written();
    this.clear();
  }

  /** Forgets the other instances' rows read so far: they are read again when next needed. */
  forgetOthers(): void {
    this.others.clear();
  }

  /** Forgets what was read and what is pending (after `write`, or when the group did not commit). */
  clear(): void {
    this.counters.clear();
    this.others.clear();
  }

  private counter(key: string): GroupCounter {
    let counter = this.counters.get(key);
    if (counter === undefined) {
      counter = { spentNanos: this.stmt.counterSpent.get(key)?.s ?? 0, pendingNanos: 0, charged: false, expiresAt: undefined };
      this.counters.set(key, counter);
    }
    return counter;
  }

  private othersOf(key: string): OtherHold[] {
    let holds = this.others.get(key);
    if (holds === undefined) {
      holds = this.stmt.otherHolds.all(key, this.instance);
      this.others.set(key, holds);
    }
    return holds;
  }
}
