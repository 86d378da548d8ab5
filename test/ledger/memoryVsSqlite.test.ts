import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bucket, Ledger } from '../../src/ledger/Ledger.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { usageRecord } from '../helpers/usageRecord.js';

// Two independent implementations of the Ledger contract, driven through the same random
// sequences: every answer of the in-memory ledger must equal the SQLite ledger's.

const T0 = Date.UTC(2026, 2, 10, 12);
const BUCKETS: Bucket[] = [
  { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + 12 * 3_600_000 },
  { key: 'task|T-1|all', budgetId: 'task', limitNanos: 400, enforce: true },
  { key: 'rolling|global', budgetId: 'rolling', limitNanos: 600, enforce: true, rollingMs: 5_000 },
  { key: 'warn|global|all', budgetId: 'warn', limitNanos: 100, enforce: false },
];
// Span ids (the processor's ids) and others.
const IDS = ['b7ad6b7169203331', '00f067aa0ba902b7', '0000000000000001', 'r1', 'call-2', 'B7AD6B7169203331'];

type Step =
  | { op: 'reserve'; id: number; amount: number; buckets: number[]; ttl: number; dt: number }
  | { op: 'settle'; id: number; cost: number; buckets: number[]; dt: number }
  | { op: 'release'; id: number; dt: number }
  | { op: 'prune'; back: number; dt: number };

const bucketSet = fc.subarray([0, 1, 2, 3]);
// Mostly calls close together (reservations still live), sometimes far apart (expired, windows rolled).
const dt = fc.oneof({ weight: 3, arbitrary: fc.nat(50) }, { weight: 1, arbitrary: fc.nat(6_000) });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('reserve' as const), id: fc.nat(IDS.length - 1), amount: fc.nat(500), buckets: bucketSet, ttl: fc.integer({ min: 1, max: 8_000 }), dt }),
  fc.record({ op: fc.constant('settle' as const), id: fc.nat(IDS.length - 1), cost: fc.nat(300), buckets: bucketSet, dt }),
  fc.record({ op: fc.constant('release' as const), id: fc.nat(IDS.length - 1), dt }),
  fc.record({ op: fc.constant('prune' as const), back: fc.nat(10_000), dt }),
);

function recordOf(id: string, time: number, costNanos: number): UsageRecord {
  return usageRecord({ id, time, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: id, task: 'T-1', model: 'gpt-4o-mini', inputTokens: costNanos, outputTokens: 1, costNanos });
}

/** Applies one step to a ledger and resolves to everything it answered. */
async function apply(ledger: Ledger, s: Step, now: number): Promise<unknown> {
  const buckets = 'buckets' in s ? s.buckets.map((i) => BUCKETS[i] as Bucket) : [];
  switch (s.op) {
    case 'reserve':
      return ledger.reserve({ id: IDS[s.id] as string, amountNanos: s.amount, buckets, now, expiresAt: now + s.ttl });
    case 'settle':
      return ledger.settle(recordOf(IDS[s.id] as string, now, s.cost), buckets);
    case 'release':
      return ledger.release(IDS[s.id] as string);
    case 'prune':
      return ledger.prune(now - s.back);
  }
}

/** What a ledger holds at `now`. Records are compared by id (order among equal times is the store's; an id is stored once). */
async function observe(ledger: Ledger, now: number): Promise<unknown> {
  const records = (await ledger.records({ limit: 10_000 })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    states: await ledger.bucketStates(BUCKETS, now),
    records,
    usage: await ledger.usage({ by: 'task' }),
    byDay: await ledger.usage({ by: 'day' }),
  };
}

describe('MemoryLedger against SqliteLedger', () => {
  it('answers every reserve, settle, release and prune as the SQLite ledger does, and holds the same state after each', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 80 }), async (steps) => {
        const memory = new MemoryLedger();
        // Each step awaits its answer: settlements commit at the end of the turn, not after the default wait for others.
        const sqlite = new SqliteLedger({ path: ':memory:', settleDelayMs: 0 });
        try {
          let now = T0;
          for (const s of steps) {
            now += s.dt;
            expect(await apply(memory, s, now)).toEqual(await apply(sqlite, s, now));
            expect(await observe(memory, now)).toEqual(await observe(sqlite, now));
          }
        } finally {
          await memory.close();
          await sqlite.close();
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
