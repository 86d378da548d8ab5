import { describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { record, runLedgerContract } from './ledgerContract.js';

runLedgerContract('MemoryLedger', async () => {
  const ledger = new MemoryLedger();
  return { ledger, cleanup: async () => ledger.close() };
});

describe('MemoryLedger prune', () => {
  const DAY = 86_400_000;
  const T0 = Date.UTC(2026, 2, 10);
  const day0: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + DAY };
  const day0Task: Bucket = { key: 'daily|T|2026-03-10', budgetId: 'daily-task', limitNanos: 1_000, enforce: true, expiresAt: T0 + DAY };

  it('forgets the counters of ended windows, except those a live reservation still holds', async () => {
    const ledger = new MemoryLedger();
    await ledger.settle(record({ id: 'a', time: T0 + 10, costNanos: 100 }), [day0, day0Task]);
    ledger.reserve({ id: 'live', amountNanos: 5, buckets: [day0Task], now: T0 + DAY - 1, expiresAt: T0 + 2 * DAY });
    expect(await ledger.prune(T0 + DAY + 1)).toBe(1);
    const states = await ledger.bucketStates([day0, day0Task], T0 + DAY + 2);
    expect(states.map((s) => [s.spentNanos, s.reservedNanos])).toEqual([
      [0, 0],
      [100, 5],
    ]);
  });

  it('deletes exactly the records older than the boundary, however many', async () => {
    const ledger = new MemoryLedger();
    for (let i = 0; i < 1_000; i++) await ledger.settle(record({ id: `r${i}`, time: T0 + i, costNanos: 1 }), []);
    expect(await ledger.prune(T0 + 600)).toBe(600);
    expect((await ledger.records({ limit: 1_000 })).map((r) => r.time)).toEqual(Array.from({ length: 400 }, (_, i) => T0 + 999 - i));
    // A pruned record's id is forgotten: settling it again stores it again.
    await ledger.settle(record({ id: 'r0', time: T0 + 700, costNanos: 1 }), []);
    expect((await ledger.records({ since: T0 + 700, until: T0 + 701 })).map((r) => r.id)).toEqual(['r0', 'r700']);
  });
});
