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
 * reservations and its confirmed settlements of open windows (at most `max`, in a ring: past it,
 * each new one takes the place of the oldest). When Redis loses its data, every process re-adds
 * what it remembers, so the current windows are rebuilt from the processes that are still running.
 */
export class SpendMemory {
  private readonly live = new Map<string, ReserveRequest>();
  /** Confirmed settlements, a ring of `max` places; `next` is where the next one goes (the oldest once full). */
  private readonly settled: (JournalEntry | undefined)[] = [];
  private next = 0;
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
    const oldest = this.settled[this.next];
    // The oldest is forgotten; it counts as forgotten only while its window is still open.
    if (oldest !== undefined && anyOpen(oldest, now)) this.forgotten++;
    this.settled[this.next] = entry;
    this.next = (this.next + 1) % this.max;
  }

  snapshot(now: number): SpendSnapshot {
    for (const [id, r] of this.live) if (r.expiresAt <= now) this.live.delete(id);
    const settlements: JournalEntry[] = [];
    // Oldest first: from `next` round the ring.
    for (let i = 0; i < this.settled.length; i++) {
      const e = this.settled[(this.next + i) % this.settled.length];
      if (e !== undefined && anyOpen(e, now)) settlements.push(e);
    }
    return { reservations: [...this.live.values()], settlements, forgotten: this.forgotten };
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
