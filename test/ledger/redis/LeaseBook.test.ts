/** The lease accounting of one process, without Redis: what a call may be admitted from during an outage. */
import { describe, expect, it } from 'vitest';
import type { Bucket, ReserveRequest } from '../../../src/ledger/Ledger.js';
import { LeaseBook } from '../../../src/ledger/redis/LeaseBook.js';

const T0 = Date.UTC(2026, 10, 23, 12);
const DAY_END = Date.UTC(2026, 10, 24);
const TTL = 60_000;
const daily: Bucket = { key: 'cap|global|2026-11-23', budgetId: 'cap', limitNanos: 10_000, enforce: true, expiresAt: DAY_END };
const nextDay: Bucket = { ...daily, key: 'cap|global|2026-11-24', expiresAt: DAY_END + 86_400_000 };
const task: Bucket = { key: 'task-cap|T1|all', budgetId: 'task-cap', limitNanos: 5_000, enforce: true };
const warn: Bucket = { key: 'watch|global|all', budgetId: 'watch', limitNanos: 1, enforce: false };
const req = (id: string, amountNanos: number, buckets: Bucket[] = [daily], now = T0): ReserveRequest => ({ id, amountNanos, buckets, now, expiresAt: now + 600_000 });

/** A book holding a lease of `amount` in each bucket, taken at T0 when `spent` was settled. */
function bookWith(amount: number, buckets: Bucket[] = [daily], spent = 2_000): LeaseBook {
  const book = new LeaseBook('p1', TTL);
  for (const b of buckets) {
    expect(book.due(b, T0)).toBe(true);
    book.taken(b, amount, spent, T0);
  }
  return book;
}

describe('LeaseBook', () => {
  it('admits calls from a lease until what is left no longer covers the reservation, and reports the lease as the only room', () => {
    const book = bookWith(1_000);
    const first = book.admit(req('a', 400));
    expect(first?.started.map((l) => l.bucketKey)).toEqual([daily.key]);
    // spent 2000 when taken; 600 left of the lease: used = limit - 600.
    expect(first?.states).toEqual([{ key: daily.key, budgetId: 'cap', limitNanos: 10_000, spentNanos: 2_000, reservedNanos: 10_000 - 2_000 - 600 }]);
    expect(book.admit(req('b', 600))?.started).toEqual([]);
    expect(book.admit(req('c', 1))).toBeUndefined();
    expect(book.get(daily.key)?.usedNanos).toBe(1_000);
  });

  it('charges a settled call its real cost instead of its reservation, and gives a released call its reservation back', () => {
    const book = bookWith(1_000);
    book.admit(req('a', 500));
    book.admit(req('b', 500));
    expect(book.admit(req('c', 100))).toBeUndefined();
    expect(book.settled('a', 120)).toBe(true);
    expect(book.get(daily.key)?.usedNanos).toBe(620);
    expect(book.released('b')).toBe(true);
    expect(book.get(daily.key)?.usedNanos).toBe(120);
    expect(book.admit(req('c', 880))).toBeDefined();
    expect(book.admit(req('d', 1))).toBeUndefined();
    // Ids that were not admitted from a lease are not the book's.
    expect(book.settled('other', 5)).toBe(false);
    expect(book.released('other')).toBe(false);
  });

  it('a cost above the reservation (a shortfall) is charged in full: what is left shrinks by more', () => {
    const book = bookWith(1_000);
    book.admit(req('a', 300));
    book.settled('a', 900);
    expect(book.admit(req('b', 200))).toBeUndefined();
    expect(book.admit(req('b', 100))).toBeDefined();
  });

  it("never spends yesterday's lease against today's counter, nor a lease past its window's end", () => {
    const book = bookWith(1_000);
    // After midnight the engine asks for the new day's counter: no lease there.
    expect(book.admit(req('a', 10, [nextDay], DAY_END + 1))).toBeUndefined();
    // The old counter's lease is not usable after its window ended either (lease ttl longer than what is left of the day).
    const late = new LeaseBook('p1', 3_600_000);
    late.due(daily, DAY_END - 1_000);
    late.taken(daily, 1_000, 0, DAY_END - 1_000);
    expect(late.admit(req('b', 10, [daily], DAY_END - 1))).toBeDefined();
    expect(late.admit(req('c', 10, [daily], DAY_END))).toBeUndefined();
  });

  it('a lease is usable for ttlMs after it was taken, then no more', () => {
    const book = bookWith(1_000);
    expect(book.admit(req('a', 10, [daily], T0 + TTL - 1))).toBeDefined();
    expect(book.admit(req('b', 10, [daily], T0 + TTL))).toBeUndefined();
  });

  it('a call needs a lease with room in every enforced counter it is charged to; warn counters need none', () => {
    const book = bookWith(1_000, [daily]);
    expect(book.admit(req('a', 10, [daily, task]))).toBeUndefined();
    expect(book.get(daily.key)?.usedNanos).toBe(0);
    expect(book.admit(req('b', 10, [daily, warn]))?.states[1]).toEqual({ key: warn.key, budgetId: 'watch', limitNanos: 1, spentNanos: 0, reservedNanos: 0 });
    const both = bookWith(1_000, [daily, task]);
    both.admit(req('c', 100, [daily, task]));
    expect(both.get(daily.key)?.usedNanos).toBe(100);
    expect(both.get(task.key)?.usedNanos).toBe(100);
    // Only warn counters: nothing to admit from (the budgets' failMode decides, as without leases).
    expect(book.admit(req('d', 10, [warn]))).toBeUndefined();
  });

  it('an empty lease (no room when taken) admits nothing', () => {
    const book = bookWith(0);
    expect(book.admit(req('a', 1))).toBeUndefined();
  });

  it('a lease is due when missing or older than ttlMs / 4, never twice at once, and not while it was spent from during an outage', () => {
    const book = new LeaseBook('p1', TTL);
    expect(book.due(warn, T0)).toBe(false);
    expect(book.due(daily, T0)).toBe(true);
    expect(book.due(daily, T0)).toBe(false); // being taken
    book.takeFailed(daily.key);
    expect(book.due(daily, T0)).toBe(true);
    book.taken(daily, 1_000, 0, T0);
    expect(book.due(daily, T0 + TTL / 4 - 1)).toBe(false);
    expect(book.due(daily, T0 + TTL / 4)).toBe(true);
    book.taken(daily, 1_000, 0, T0 + TTL / 4);
    book.admit(req('a', 10, [daily], T0 + TTL / 4));
    expect(book.due(daily, T0 + TTL)).toBe(false);
    expect(book.leaseId(daily.key)).toBe(`lease:p1:${daily.key}`);
  });

  it('tracks the outage until every call admitted from a lease is in Redis and the spent leases are forgotten', () => {
    const book = bookWith(1_000);
    expect(book.outage).toBe(false);
    book.admit(req('a', 100));
    book.admit(req('b', 100));
    expect(book.outage).toBe(true);
    expect(book.quiet).toBe(false);
    book.settled('a', 50);
    expect(book.inFlight().map((r) => r.id)).toEqual(['b']);
    expect(book.quiet).toBe(false); // a's settlement is on its way
    book.settleDone('a');
    book.movedToRedis(['b']);
    expect(book.quiet).toBe(true);
    expect(book.spent().map((l) => l.bucketKey)).toEqual([daily.key]);
    expect(book.outage).toBe(true);
    book.forget(daily.key);
    expect(book.outage).toBe(false);
    expect(book.list(T0)).toEqual([]);
  });

  it('lists each lease with what is left and whether it is usable', () => {
    const book = bookWith(1_000);
    book.admit(req('a', 300));
    expect(book.list(T0)).toMatchObject([{ bucketKey: daily.key, amountNanos: 1_000, remainingNanos: 700, usable: true, spentFrom: true }]);
    expect(book.list(T0 + TTL)[0]?.usable).toBe(false);
  });
});
