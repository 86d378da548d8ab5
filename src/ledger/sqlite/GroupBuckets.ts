import type { Bucket, BucketState } from '../Ledger.js';
import type { Nanos } from '../../core/money.js';
import type { SqliteStatements } from './prepareStatements.js';
import type { ProcessReservations } from './ProcessReservations.js';
import type { ProcessSlack, SlackSize } from './ProcessSlack.js';
import { FileRows } from './FileRows.js';

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

/** Another ledger instance's row for a bucket: its reserved sum (or slack) until its expiry. */
interface OtherHold {
  r: Nanos;
  e: number;
  /** The instance: `slack:<id>` for the slack row of instance `<id>`. */
  i: string;
}

const SLACK_PREFIX = 'slack:';

/**
 * The buckets of one group, read once per group and written once per group.
 *
 * The group runs in a `BEGIN IMMEDIATE` transaction: no other process writes while it runs, so
 * what it read stays true until it commits. A bucket's state is its settled spend (a counter read
 * once, plus the group's settlements; rolling windows are summed from their entries at each `now`)
 * and the reservations held against it: this process's (ProcessReservations) and the rows of the
 * other instances on the file that have not expired at `now` (their reservations and their slack).
 * `write` adds the group's spend to each counter, resizes this process's slack (ProcessSlack) on
 * the counters the group touched, and writes this process's rows (reservations `<instance>`,
 * slack `slack:<instance>`) whose value or expiry differs from what the file holds.
 */
export class GroupBuckets {
  private readonly counters = new Map<string, GroupCounter>();
  private readonly others = new Map<string, OtherHold[]>();
  /** This instance's rows as the file holds them once the group commits, by bucket key. */
  private readonly fileHolds = new FileRows();
  private readonly fileSlack = new FileRows();
  private readonly slackInstance: string;

  constructor(
    private readonly stmt: SqliteStatements,
    private readonly instance: string,
    private readonly own: ProcessReservations,
    private readonly slack: ProcessSlack,
  ) {
    this.slackInstance = `${SLACK_PREFIX}${instance}`;
  }

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

  /** Whether the file, with what the group added, holds settled spend in the bucket: a counter above zero, or any rolling entry. */
  holdsSpend(b: Bucket): boolean {
    if (b.rollingMs !== undefined) return this.stmt.rollingAny.get(b.key) !== undefined;
    return this.counter(b.key).spentNanos > 0;
  }

  /** The other processes' rows on the bucket at `now`, summed, and how many processes hold rows there (this one included). */
  othersAt(key: string, now: number): { nanos: Nanos; slackNanos: Nanos; processes: number } {
    let nanos = 0;
    let slackNanos = 0;
    const processes = new Set<string>();
    for (const hold of this.othersOf(key)) {
      if (hold.e <= now) continue;
      nanos += hold.r;
      if (hold.i.startsWith(SLACK_PREFIX)) {
        slackNanos += hold.r;
        processes.add(hold.i.slice(SLACK_PREFIX.length));
      } else processes.add(hold.i);
    }
    return { nanos, slackNanos, processes: processes.size + 1 };
  }

  /** Writes the group's spend, resizes this process's slack, writes its changed rows (in the group's transaction), and forgets what was read. */
  write(): void {
    for (const [key, c] of this.counters) if (c.charged) this.stmt.addCounter.run(key, c.pendingNanos, c.expiresAt ?? null);
    const holds = new Set(this.own.dirtyKeys());
    for (const [key, { bucket, now }] of this.slack.toResize()) {
      const others = this.othersAt(key, now);
      const { size, keep } = this.slack.resize(key, this.stateOf(bucket, now), others.processes, others.nanos, now, this.heldBeyond(key));
      if (keep) {
        holds.delete(key);
        continue;
      }
      this.writeRow(this.fileSlack, key, this.slackInstance, size);
      holds.add(key);
    }
    for (const key of this.slack.givenBack()) {
      if (this.fileSlack.has(key) && !holds.has(key)) {
        this.writeRow(this.fileSlack, key, this.slackInstance, this.slack.zero(key));
        holds.add(key);
      }
    }
    // The reservations row is brought up to date with the slack row: reservations admitted from slack move from one to the other.
    for (const key of holds) {
      const row = this.own.rowOf(key);
      this.writeRow(this.fileHolds, key, this.instance, row === undefined ? { nanos: 0, expiresAt: 0 } : { nanos: row.reservedNanos, expiresAt: row.expiresAt });
    }
    this.own.written();
    this.clear();
  }

  /**
   * What this instance's rows on `key` hold in the file beyond its live reservations, and until
   * when, provided they cover every one of those reservations for as long as it lives: the
   * reservations row is exact, or absent and the slack row outlives them all. Undefined otherwise.
   */
  private heldBeyond(key: string): SlackSize | undefined {
    const slack = this.fileSlack.get(key);
    if (slack === undefined) return undefined;
    const row = this.own.rowOf(key);
    const file = this.fileHolds.get(key);
    const reserved = row?.reservedNanos ?? 0;
    if (file !== undefined ? file.n !== reserved || file.e !== row?.expiresAt : row !== undefined && row.expiresAt > slack.e) return undefined;
    const nanos = (file?.n ?? 0) + slack.n - reserved;
    return nanos > 0 ? { nanos, expiresAt: slack.e } : undefined;
  }

  /** The group committed: the rows it wrote are what the file holds. */
  committed(): void {
    this.fileHolds.commit();
    this.fileSlack.commit();
  }

  /** Upserts (or deletes, at zero) one of this instance's rows, unless the file holds it already. */
  private writeRow(file: FileRows, key: string, instance: string, size: SlackSize): void {
    const was = file.get(key);
    if (size.nanos === 0) {
      if (was === undefined) return;
      this.stmt.deleteHold.run(key, instance);
    } else {
      if (was !== undefined && was.n === size.nanos && was.e === size.expiresAt) return;
      this.stmt.upsertHold.run(key, instance, size.nanos, size.expiresAt);
    }
    file.set(key, { n: size.nanos, e: size.expiresAt });
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

  /** The group did not commit: the rows it wrote are not in the file. */
  failed(): void {
    this.fileHolds.rollback();
    this.fileSlack.rollback();
    this.clear();
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
      holds = this.stmt.otherHolds.all(key, this.instance, this.slackInstance);
      this.others.set(key, holds);
    }
    return holds;
  }
}
