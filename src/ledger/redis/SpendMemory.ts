import type { Bucket, ReserveRequest } from '../Ledger.js';
import type { JournalEntry } from './SettlementJournal.js';

/** What a process re-adds to a Redis that lost its data. */
export interface SpendSnapshot {
  /** Reservations this process holds (admitted calls not settled or released yet), not expired. */
  reservations: ReserveRequest[];
  /** Settlements this process confirmed whose windows are still open. */
  settlements: JournalEntry[];
  /** Settlements forgotten because more than the limit were remembered (the rebuild misses them). */
  forgotten: number;
}

/**
 * What this process has put into Redis and still counts against a budget window: its live
 * reservations and its confirmed settlements of open windows (at most `max`; past it, the oldest
 * are forgotten down to 90 % of `max`). When Redis loses its data, every process re-adds what it remembers, so
 * the current windows are rebuilt from the processes that are still running.
 */
export class SpendMemory {
  private readonly live = new Map<string, ReserveRequest>();
  /** Confirmed settlements, oldest first (an id confirmed twice is kept twice: re-adding it again is a no-op). */
  private settled: JournalEntry[] = [];
  private forgotten = 0;

  constructor(private readonly max: number) {}

  reserved(req: ReserveRequest): void {
    this.live.set(req.id, req);
  }

  /** The live reservation this process made under `id`, if any. */
  reservation(id: string): ReserveRequest | undefined {
    return this.live.get(id);
  }

  released(id: string): void {
    this.live.delete(id);
  }

  confirmed(entry: JournalEntry, now: number): void {
    this.live.delete(entry.record.id);
    if (this.max === 0 || !anyOpen(entry, now)) return;
    this.settled.push(entry);
    if (this.settled.length <= this.max) return;
    // Over the limit: drop the closed windows' settlements, then forget the oldest down to 90 % of
    // the limit, so the next full sweep is a tenth of the limit away (a constant cost per call on
    // average, where sweeping on every call past the limit made each settlement cost O(max)).
    this.prune(now);
    const keep = Math.floor(this.max * 0.9);
    if (this.settled.length > keep) {
      this.forgotten += this.settled.length - keep;
      this.settled = this.settled.slice(this.settled.length - keep);
    }
  }

  snapshot(now: number): SpendSnapshot {
    this.prune(now);
    for (const [id, r] of this.live) if (r.expiresAt <= now) this.live.delete(id);
    return { reservations: [...this.live.values()], settlements: [...this.settled], forgotten: this.forgotten };
  }

  private prune(now: number): void {
    const kept: JournalEntry[] = [];
    for (const e of this.settled) if (anyOpen(e, now)) kept.push(e);
    this.settled = kept;
  }
}

/** Whether the settlement's spend still counts in one of its buckets at `now`. */
function anyOpen(e: JournalEntry, now: number): boolean {
  for (const b of e.buckets) if (open(b, e.record.time, now)) return true;
  return false;
}

/** Whether spend at `time` still counts in the bucket at `now`. */
function open(b: Bucket, time: number, now: number): boolean {
  if (b.rollingMs !== undefined && b.rollingMs > 0) return time + b.rollingMs > now;
  return b.expiresAt === undefined || b.expiresAt > now;
}
