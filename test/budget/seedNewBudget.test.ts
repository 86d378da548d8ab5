import { describe, expect, it } from 'vitest';
import { normalizeBudget } from '../../src/budget/normalizeBudget.js';
import { spendBefore } from '../../src/budget/seedNewBudget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { tempDirs } from '../helpers/tempDirs.js';
import { usageRecord } from '../helpers/usageRecord.js';

const NOON = Date.UTC(2026, 2, 10, 12);
const files = tempDirs('tollgate-spend-before-');

/**
 * 50,000 records of the day, 30,000 of them in one ms (more than a page of records, which
 * spendBefore reads 10,000 at a time), each costing its index + 1 nanos, half for task A and
 * half for task B; and one record of the day before.
 */
async function fill(ledger: Ledger): Promise<{ a: number; b: number }> {
  const sums = { a: 0, b: 0 };
  const settles: Promise<unknown>[] = [];
  for (let i = 0; i < 50_000; i++) {
    const time = i < 30_000 ? NOON - 1_000 : NOON - 2_000_000 + i;
    const task = i % 2 === 0 ? 'A' : 'B';
    sums[task === 'A' ? 'a' : 'b'] += i + 1;
    settles.push(ledger.settle(usageRecord({ id: `r${i}`, time, task, costNanos: i + 1 }), []));
  }
  settles.push(ledger.settle(usageRecord({ id: 'yesterday', time: NOON - 86_400_000, task: 'A', costNanos: 1e9 }), []));
  await Promise.all(settles);
  return sums;
}

describe('spendBefore', () => {
  for (const [name, make] of [
    ['memory', () => new MemoryLedger()],
    ['SQLite', () => new SqliteLedger({ path: files.file('ledger.db') })],
  ] as const) {
    it(`reads every record of the window once, however many share a ms across pages (${name})`, async () => {
      const ledger: Ledger = make();
      try {
        const sums = await fill(ledger);
        const daily = await spendBefore(ledger, normalizeBudget({ id: 'day', scope: 'daily', maxUsd: 1 }, 'budget'), NOON);
        expect(daily.seeds.map((s) => [s.bucket.key, s.nanos])).toEqual([['day|global|2026-03-10', sums.a + sums.b]]);
        expect(daily.unseenNanos).toBe(0);
        const perTask = await spendBefore(ledger, normalizeBudget({ id: 'task', scope: 'task', maxUsd: 1 }, 'budget'), NOON);
        expect(perTask.seeds.map((s) => [s.bucket.key, s.nanos]).sort()).toEqual([
          ['task|A|all', sums.a + 1e9],
          ['task|B|all', sums.b],
        ]);
      } finally {
        await ledger.close();
      }
    });
  }

  it('lets the event loop run between pages of records, on a store that answers synchronously', async () => {
    const ledger = new SqliteLedger({ path: files.file('ledger.db') });
    try {
      await fill(ledger);
      let ticks = 0;
      let ticking = true;
      const tick = (): void => {
        ticks++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const before = ticks;
      await spendBefore(ledger, normalizeBudget({ id: 'day', scope: 'daily', maxUsd: 1 }, 'budget'), NOON);
      ticking = false;
      // Four pages of up to 10,000 (and one read of the 30,000 of one ms): the loop turned between them.
      expect(ticks - before).toBeGreaterThanOrEqual(3);
    } finally {
      await ledger.close();
    }
  });

  it('has nothing to seed for a request budget', async () => {
    const ledger = new MemoryLedger();
    await ledger.settle(usageRecord({ id: 'r', time: NOON - 1, costNanos: 5 }), []);
    expect(await spendBefore(ledger, normalizeBudget({ id: 'req', scope: 'request', maxUsd: 1 }, 'budget'), NOON)).toEqual({ seeds: [], unseenNanos: 0 });
  });
});
