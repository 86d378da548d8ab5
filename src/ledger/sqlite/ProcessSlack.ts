import type { Bucket, BucketState } from '../Ledger.js';
import type { Nanos } from '../../core/money.js';

/** A counter's slack is given back when this process admitted nothing against it for this long (wall clock, ms). */
export const SLACK_IDLE_MS = 100;
/**
 * A reservation that only other processes' slack keeps out waits this long (wall clock, ms) and is
 * decided again in a new transaction, once: long enough for an idle holder to give its slack back.
 */
export const SLACK_RETRY_MS = 3 * SLACK_IDLE_MS;
/** A process takes at most 1 / (SLACK_SHARE × (processes on the counter)) of the counter's headroom. */
const SLACK_SHARE = 4;
/** ... and at most this many reservations of the size it last made there. */
const SLACK_MAX_CALLS = 16;
/** Slack smaller than this many such reservations is not taken: near the cap every call is decided in a transaction. */
const SLACK_MIN_CALLS = 2;

/** This process's slack on one counter. */
interface Slack {
  /** Left to admit from, in memory. */
  nanos: Nanos;
  /** The slack row's expiry (the callers' clock): a reservation admitted from it must expire by then. */
  expiresAt: number;
  /** The size and time to live of the last reservation this process made against the counter. */
  unitNanos: Nanos;
  ttlMs: number;
  /** Spend and the other processes' rows as the last group read them (for the states of an in-memory answer). */
  spentNanos: Nanos;
  othersNanos: Nanos;
  /** Date.now() of the last reservation against the counter. */
  usedAt: number;
  /** What the queued settlements add to the spend and take from this process's reservations, until their group ends. */
  queuedSpentNanos: Nanos;
  queuedFreedNanos: Nanos;
}

/** The size of a counter's slack as a group decides it. */
export interface SlackSize {
  nanos: Nanos;
  expiresAt: number;
}

/**
 * Slack: a share of an enforced counter's headroom that this process holds in the file, in a
 * row of its own in `bucket_holds` (instance `slack:<instance>`), so the other processes count it
 * as reserved and the cap can never be overspent through it. A reservation whose every bucket
 * has slack enough is admitted in memory (no transaction): the amount moves from the slack to
 * the process's reservations, their sum in the file unchanged.
 *
 * Each group resizes the slack of the counters its reservations and settlements touched, from
 * the headroom it read under the write lock: at most 1 / (4 × the processes holding rows there)
 * of it, at most 16 reservations of the size this process last made there, none when that is
 * under 2 such reservations (the last part of a cap is decided exactly, call by call). A group
 * that gives slack back (idle for SLACK_IDLE_MS, or `close`) sets it to zero. The slack row is
 * written to expire twice the reservations' time to live after its group, and moved on when less
 * than one is left: a process killed with SIGKILL leaves it counting until then. A group that finds
 * the file already holding between half the new size and the size (beyond the live reservations)
 * keeps it and writes nothing, so a settlement usually writes neither of this process's rows.
 */
export class ProcessSlack {
  private readonly byKey = new Map<string, Slack>();
  /** Sizes decided by the current group, applied when it commits. */
  private pending = new Map<string, SlackSize & { spentNanos: Nanos; othersNanos: Nanos }>();
  /** Counters the current group touched with a reservation or settlement, and the latest `now` it saw for them. */
  private readonly touched = new Map<string, { bucket: Bucket; now: number }>();
  private readonly giveBack = new Set<string>();

  /** A reservation was decided in a transaction: remembers its size and time to live as the counter's unit. */
  reserved(buckets: readonly Bucket[], amountNanos: Nanos, now: number, expiresAt: number): void {
    for (const b of buckets) {
      if (!b.enforce || b.rollingMs !== undefined) continue;
      const s = this.slackOf(b.key);
      s.unitNanos = amountNanos;
      s.ttlMs = Math.max(1, expiresAt - now);
      s.usedAt = Date.now();
      this.touch(b, now);
    }
  }

  /** The group touched the counter (a settlement): its slack is resized at the group's end. */
  touch(b: Bucket, now: number): void {
    if (!b.enforce || b.rollingMs !== undefined || !this.byKey.has(b.key)) return;
    const t = this.touched.get(b.key);
    if (t === undefined) this.touched.set(b.key, { bucket: b, now });
    else t.now = Math.max(t.now, now);
  }

  /** The next group sets these counters' slack to zero. */
  release(keys: Iterable<string>): void {
    for (const key of keys) if (this.byKey.has(key)) this.giveBack.add(key);
  }

  /** Admits `amountNanos` from the slack of every bucket when each has enough, until its expiry; false (nothing taken) otherwise. */
  admit(buckets: readonly Bucket[], amountNanos: Nanos, now: number, expiresAt: number): boolean {
    for (const b of buckets) {
      const s = b.enforce && b.rollingMs === undefined ? this.byKey.get(b.key) : undefined;
      if (s === undefined || s.nanos < amountNanos || now >= s.expiresAt || expiresAt > s.expiresAt) return false;
    }
    const at = Date.now();
    for (const b of buckets) {
      const s = this.byKey.get(b.key) as Slack;
      s.nanos -= amountNanos;
      s.usedAt = at;
    }
    return true;
  }

  /** The counter as the last group read it; `ownNanos`: this process's reservations there. */
  stateOf(b: Bucket, ownNanos: Nanos): BucketState {
    const s = this.byKey.get(b.key) as Slack;
    return {
      key: b.key,
      budgetId: b.budgetId,
      limitNanos: b.limitNanos,
      spentNanos: s.spentNanos + s.queuedSpentNanos,
      reservedNanos: ownNanos - s.queuedFreedNanos + s.othersNanos,
    };
  }

  /** The counters whose slack the current group resizes, with the bucket and `now` to read them at. */
  toResize(): Iterable<[string, { bucket: Bucket; now: number }]> {
    return this.touched;
  }

  /** The counters the current group gives back. */
  givenBack(): Iterable<string> {
    return this.giveBack;
  }

  /**
   * Decides a counter's slack from what the group read: `state` counts this process's
   * reservations and every other process's rows, not this process's slack; `processes`: how many
   * hold rows there, this one included. `held`: what this process's rows in the file hold beyond
   * its live reservations, when they cover them (undefined otherwise). When that is between half
   * the new size and the size, and valid for one more time to live, it is kept as it is and
   * nothing is written (`keep`). Applied when the group commits.
   */
  resize(key: string, state: BucketState, processes: number, othersNanos: Nanos, now: number, held: SlackSize | undefined): { size: SlackSize; keep: boolean } {
    const s = this.byKey.get(key) as Slack;
    const headroom = state.limitNanos - state.spentNanos - state.reservedNanos;
    let nanos = Math.min(Math.floor(headroom / (SLACK_SHARE * processes)), SLACK_MAX_CALLS * s.unitNanos);
    if (this.giveBack.has(key) || nanos < SLACK_MIN_CALLS * s.unitNanos || !(nanos > 0)) nanos = 0;
    const keep = held !== undefined && nanos > 0 && 2 * held.nanos >= nanos && held.nanos <= nanos && held.expiresAt >= now + s.ttlMs;
    const size = keep ? (held as SlackSize) : { nanos, expiresAt: nanos > 0 ? now + 2 * s.ttlMs : 0 };
    this.pending.set(key, { ...size, spentNanos: state.spentNanos, othersNanos });
    return { size, keep };
  }

  /**
   * A settlement of `costNanos` is queued, for a reservation of `reservedNanos` of this process
   * (0 if none): answers from slack count both in their states until the group ends.
   */
  settling(buckets: readonly Bucket[], costNanos: Nanos, reservedNanos: Nanos): void {
    for (const b of buckets) {
      const s = this.byKey.get(b.key);
      if (s === undefined) continue;
      s.queuedSpentNanos += costNanos;
      s.queuedFreedNanos += reservedNanos;
    }
  }

  /** Sets a counter's slack to zero without reading it (a give-back the group did not otherwise touch). */
  zero(key: string): SlackSize {
    const s = this.byKey.get(key) as Slack;
    this.pending.set(key, { nanos: 0, expiresAt: 0, spentNanos: s.spentNanos, othersNanos: s.othersNanos });
    return { nanos: 0, expiresAt: 0 };
  }

  /** Whether this process holds slack on any counter. */
  holdsAny(): boolean {
    for (const s of this.byKey.values()) if (s.nanos > 0) return true;
    return false;
  }

  /** The counters with slack that nothing was reserved against since `before` (Date.now() ms). */
  idleSince(before: number): string[] {
    const keys: string[] = [];
    for (const [key, s] of this.byKey) if (s.nanos > 0 && s.usedAt < before) keys.push(key);
    return keys;
  }

  /** The group committed: its sizes hold. */
  commit(): void {
    for (const [key, size] of this.pending) {
      const s = this.byKey.get(key) as Slack;
      s.nanos = size.nanos;
      s.expiresAt = size.expiresAt;
      s.spentNanos = size.spentNanos;
      s.othersNanos = size.othersNanos;
    }
    this.end();
  }

  /** The group did not commit: the slack is as the file still has it. */
  end(): void {
    for (const s of this.byKey.values()) {
      s.queuedSpentNanos = 0;
      s.queuedFreedNanos = 0;
    }
    this.pending = new Map();
    this.touched.clear();
    this.giveBack.clear();
  }

  private slackOf(key: string): Slack {
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = { nanos: 0, expiresAt: 0, unitNanos: 0, ttlMs: 1, spentNanos: 0, othersNanos: 0, usedAt: 0, queuedSpentNanos: 0, queuedFreedNanos: 0 };
      this.byKey.set(key, s);
    }
    return s;
  }
}
