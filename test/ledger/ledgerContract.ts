/**
 * The behaviour every Ledger must have. Each store's test file calls
 * `runLedgerContract` with a factory; each test gets a fresh, empty ledger.
 *
 * Semantics pinned here (the spec for every implementation):
 * - Money is integer nano-USD; every amount below is exact.
 * - reserve(): all or nothing. An enforced bucket fails when
 *   spent(now) + reserved(now) + amount > limit (equality fits). Non-enforced buckets
 *   are always charged. On success `states` are the buckets' states *after* the
 *   reservation, in request order; on failure `failed` is the first enforced bucket
 *   (in request order) that did not fit and `states` are the unchanged states.
 * - A reservation counts while now < expiresAt (at now === expiresAt it is gone).
 * - settle(): stores the record, adds costNanos to each given bucket, drops the
 *   reservation with the record's id. Idempotent on record.id (a second settle is a no-op).
 * - Rolling buckets: spend settled at time t counts at `now` while now - rollingMs < t <= now.
 *   Other buckets: a counter that only grows (calendar windows get a new key per window).
 * - usage(): since inclusive, until exclusive, `where` is equality on each given field.
 *   A missing field groups under ''. `errors` counts status 'error'. Order: for `day`,
 *   key ascending; otherwise costNanos descending, then key ascending.
 * - records(): newest first (by time), default limit 100.
 * - prune(before): deletes records with time < before, returns how many; usage({ by: 'day' })
 *   and bucket states at any now >= before are unchanged.
 * - listBudgets(): sorted by id; putBudget() replaces a budget with the same id.
 * - seed(): a bucket holding no spend (no counter, or one at zero; no rolling entry) gets all its
 *   seeds, each at its time; one holding spend is left as it is; resolves to the keys seeded.
 *   It writes no record and no usage.
 */
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bucket, BucketSeed, Ledger, UsageGroup, UsageGroupBy } from '../../src/ledger/Ledger.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { usageRecord } from '../helpers/usageRecord.js';
import { usdToNanos } from '../../src/core/money.js';

export interface LedgerContractOptions {
  /** Per-test timeout in ms (default: vitest's). */
  timeout?: number;
}

export type LedgerFactory = () => Promise<{ ledger: Ledger; cleanup: () => Promise<void> }>;

const DAY = 86_400_000;
/** 2026-03-10T00:00:00.000Z */
const T0 = Date.UTC(2026, 2, 10);

export function record(overrides: Partial<UsageRecord> & { id: string }): UsageRecord {
  return usageRecord({ time: T0, ...overrides });
}

function bucket(key: string, limitNanos: number, extra: Partial<Bucket> = {}): Bucket {
  return { key, budgetId: key.split('|')[0] ?? key, limitNanos, enforce: true, ...extra };
}

function group(key: string, fields: Partial<UsageGroup>): UsageGroup {
  return {
    key,
    calls: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
    ...fields,
  };
}

/** Six records over three days, with every dimension varied. */
function usageFixture(): UsageRecord[] {
  return [
    record({
      id: 'u1', time: T0 + 1_000, provider: 'openai', model: 'gpt-4o', operation: 'chat',
      task: 'T-1', session: 'S-1', agent: 'planner',
      inputTokens: 100, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 5,
      costNanos: 1_000, status: 'ok', traceId: 'trace-a',
    }),
    record({
      id: 'u2', time: T0 + 2_000, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat',
      task: 'T-1', session: 'S-1',
      inputTokens: 200, outputTokens: 20, costNanos: 300, status: 'error', traceId: 'trace-a',
    }),
    record({
      id: 'u3', time: T0 + DAY + 5, provider: 'anthropic', model: 'claude-sonnet-4', operation: 'chat',
      task: 'T-2', agent: 'coder',
      inputTokens: 1_000, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100,
      costNanos: 7_000, status: 'ok', traceId: 'trace-b',
    }),
    record({
      id: 'u4', time: T0 + DAY + 6, provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings',
      session: 'S-2',
      inputTokens: 800, costNanos: 16, status: 'ok',
    }),
    record({
      id: 'u5', time: T0 + 2 * DAY + 100, provider: 'anthropic', model: 'claude-sonnet-4', operation: 'chat',
      task: 'T-2', agent: 'coder',
      inputTokens: 10, costNanos: 0, status: 'denied',
    }),
    record({
      id: 'u6', time: T0 + 2 * DAY + 200, provider: 'openai', model: 'gpt-4o', operation: 'chat',
      task: 'T-1', session: 'S-1', agent: 'planner',
      inputTokens: 300, outputTokens: 100, reasoningTokens: 40, costNanos: 2_500, status: 'cost_exceeded',
    }),
  ];
}

export function runLedgerContract(name: string, make: LedgerFactory, opts: LedgerContractOptions = {}): void {
  describe(`Ledger contract: ${name}`, { timeout: opts.timeout }, () => {
    let ledger: Ledger;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await make();
      ledger = made.ledger;
      cleanup = made.cleanup;
    });

    afterEach(async () => {
      await cleanup();
    });

    async function settleAll(records: UsageRecord[], buckets: Bucket[] = []): Promise<void> {
      for (const r of records) await ledger.settle(r, buckets);
    }

    describe('reserve', () => {
      it('reserves in a bucket and reports the state after the reservation', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        const result = await ledger.reserve({ id: 'r1', amountNanos: 60, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        expect(result).toEqual({
          ok: true,
          states: [{ key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 0, reservedNanos: 60 }],
        });
        expect(await ledger.bucketStates([b], T0)).toEqual([
          { key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 0, reservedNanos: 60 },
        ]);
      });

      it('fits exactly at the limit and fails one nano above it', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.settle(record({ id: 's1', costNanos: 30 }), [b]);
        const first = await ledger.reserve({ id: 'r1', amountNanos: 50, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        expect(first.ok).toBe(true);
        const over = await ledger.reserve({ id: 'r2', amountNanos: 21, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        expect(over).toEqual({
          ok: false,
          failed: { key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 30, reservedNanos: 50 },
          states: [{ key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 30, reservedNanos: 50 }],
        });
        const exact = await ledger.reserve({ id: 'r3', amountNanos: 20, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        expect(exact.ok).toBe(true);
        expect(await ledger.bucketStates([b], T0)).toEqual([
          { key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 30, reservedNanos: 70 },
        ]);
      });

      it('is all or nothing across buckets', async () => {
        const a = bucket('daily|global|2026-03-10', 1_000);
        const t = bucket('task|T-1|all', 50);
        const w = bucket('warn|global|all', 10, { enforce: false });
        const result = await ledger.reserve({ id: 'r1', amountNanos: 60, buckets: [a, t, w], now: T0, expiresAt: T0 + 60_000 });
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.failed).toEqual({ key: t.key, budgetId: 'task', limitNanos: 50, spentNanos: 0, reservedNanos: 0 });
        expect(result.states.map((s) => s.reservedNanos)).toEqual([0, 0, 0]);
        expect((await ledger.bucketStates([a, t, w], T0)).map((s) => s.reservedNanos)).toEqual([0, 0, 0]);
      });

      it('names the first enforced bucket, in request order, that did not fit', async () => {
        const a = bucket('a|global|all', 10);
        const b = bucket('b|global|all', 10);
        const result = await ledger.reserve({ id: 'r1', amountNanos: 20, buckets: [a, b], now: T0, expiresAt: T0 + 1 });
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.failed.key).toBe(a.key);
      });

      it('always charges non-enforced buckets, even past their limit', async () => {
        const w = bucket('warn|global|all', 10, { enforce: false });
        const e = bucket('deny|global|all', 1_000);
        const result = await ledger.reserve({ id: 'r1', amountNanos: 50, buckets: [w, e], now: T0, expiresAt: T0 + 60_000 });
        expect(result).toEqual({
          ok: true,
          states: [
            { key: w.key, budgetId: 'warn', limitNanos: 10, spentNanos: 0, reservedNanos: 50 },
            { key: e.key, budgetId: 'deny', limitNanos: 1_000, spentNanos: 0, reservedNanos: 50 },
          ],
        });
      });

      it('counts live reservations against later ones', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        expect((await ledger.reserve({ id: 'r1', amountNanos: 40, buckets: [b], now: T0, expiresAt: T0 + 60_000 })).ok).toBe(true);
        expect((await ledger.reserve({ id: 'r2', amountNanos: 40, buckets: [b], now: T0, expiresAt: T0 + 60_000 })).ok).toBe(true);
        const third = await ledger.reserve({ id: 'r3', amountNanos: 30, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        expect(third.ok).toBe(false);
        if (!third.ok) expect(third.failed.reservedNanos).toBe(80);
      });

      it('lets a reservation count while now < expiresAt, and not from expiresAt on', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.reserve({ id: 'r1', amountNanos: 100, buckets: [b], now: T0, expiresAt: T0 + 5_000 });
        expect((await ledger.bucketStates([b], T0 + 4_999))[0]?.reservedNanos).toBe(100);
        const blocked = await ledger.reserve({ id: 'r2', amountNanos: 1, buckets: [b], now: T0 + 4_999, expiresAt: T0 + 9_000 });
        expect(blocked.ok).toBe(false);
        expect((await ledger.bucketStates([b], T0 + 5_000))[0]?.reservedNanos).toBe(0);
        const fits = await ledger.reserve({ id: 'r3', amountNanos: 100, buckets: [b], now: T0 + 5_000, expiresAt: T0 + 9_000 });
        expect(fits.ok).toBe(true);
      });

      it('never lets concurrent reservations overshoot an enforced limit', async () => {
        const b = bucket('daily|global|2026-03-10', 1_000);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            Promise.resolve(ledger.reserve({ id: `c${i}`, amountNanos: 7, buckets: [b], now: T0, expiresAt: T0 + 60_000 })),
          ),
        );
        expect(results.filter((r) => r.ok).length).toBe(142);
        expect((await ledger.bucketStates([b], T0))[0]?.reservedNanos).toBe(994);
      });
    });

    describe('settle and release', () => {
      it('charges the buckets, stores the record and releases its reservation', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.reserve({ id: 'r1', amountNanos: 60, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        const r = record({ id: 'r1', time: T0 + 10, costNanos: 25, inputTokens: 10, outputTokens: 3 });
        await ledger.settle(r, [b]);
        expect(await ledger.bucketStates([b], T0 + 20)).toEqual([
          { key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 25, reservedNanos: 0 },
        ]);
        expect(await ledger.records({})).toEqual([r]);
      });

      it('is idempotent on a record (its id at its time)', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.settle(record({ id: 'r1', costNanos: 25 }), [b]);
        await ledger.settle(record({ id: 'r1', costNanos: 25 }), [b]);
        await ledger.settle(record({ id: 'r1', costNanos: 99 }), [b]);
        expect((await ledger.bucketStates([b], T0))[0]?.spentNanos).toBe(25);
        const stored = await ledger.records({});
        expect(stored.map((r) => [r.id, r.costNanos])).toEqual([['r1', 25]]);
        expect((await ledger.usage({ by: 'model' }))[0]?.calls).toBe(1);
      });

      it('answers with every bucket state right after the settlement, in request order', async () => {
        const a = bucket('daily|global|2026-03-10', 100);
        const t = bucket('task|T-1|all', 50);
        await ledger.reserve({ id: 'r1', amountNanos: 30, buckets: [a, t], now: T0, expiresAt: T0 + 60_000 });
        await ledger.reserve({ id: 'other', amountNanos: 20, buckets: [a], now: T0, expiresAt: T0 + 60_000 });
        const after = await ledger.settle(record({ id: 'r1', time: T0 + 10, costNanos: 25 }), [t, a, t]);
        // Own reservation released, the other still held; a key listed twice is charged once.
        expect(after).toEqual([
          { key: t.key, budgetId: 'task', limitNanos: 50, spentNanos: 25, reservedNanos: 0 },
          { key: a.key, budgetId: 'daily', limitNanos: 100, spentNanos: 25, reservedNanos: 20 },
          { key: t.key, budgetId: 'task', limitNanos: 50, spentNanos: 25, reservedNanos: 0 },
        ]);
        // Settling the id again changes nothing and answers the same states.
        expect(await ledger.settle(record({ id: 'r1', time: T0 + 10, costNanos: 99 }), [t, a, t])).toEqual(after);
        expect(await ledger.settle(record({ id: 'no-buckets', costNanos: 5 }), [])).toEqual([]);
      });

      it('settles without a reservation, into several buckets', async () => {
        const a = bucket('daily|global|2026-03-10', 100);
        const t = bucket('task|T-1|all', 100);
        await ledger.settle(record({ id: 'x', costNanos: 42, task: 'T-1' }), [a, t]);
        expect((await ledger.bucketStates([a, t], T0)).map((s) => s.spentNanos)).toEqual([42, 42]);
      });

      it('records a settle whose spend goes past the limit (spend is a fact, not a request)', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.settle(record({ id: 'x', costNanos: 150 }), [b]);
        expect((await ledger.bucketStates([b], T0))[0]?.spentNanos).toBe(150);
        expect((await ledger.reserve({ id: 'r', amountNanos: 0, buckets: [b], now: T0, expiresAt: T0 + 1 })).ok).toBe(false);
      });

      it('releases a reservation without charging, and ignores unknown ids', async () => {
        const b = bucket('daily|global|2026-03-10', 100);
        await ledger.reserve({ id: 'r1', amountNanos: 70, buckets: [b], now: T0, expiresAt: T0 + 60_000 });
        await ledger.release('r1');
        await ledger.release('r1');
        await ledger.release('never-reserved');
        expect(await ledger.bucketStates([b], T0)).toEqual([
          { key: b.key, budgetId: 'daily', limitNanos: 100, spentNanos: 0, reservedNanos: 0 },
        ]);
        expect(await ledger.records({})).toEqual([]);
      });

      it('releases a multi-bucket reservation from every bucket on settle', async () => {
        const a = bucket('daily|global|2026-03-10', 100);
        const t = bucket('task|T-1|all', 100);
        await ledger.reserve({ id: 'r1', amountNanos: 80, buckets: [a, t], now: T0, expiresAt: T0 + 60_000 });
        await ledger.settle(record({ id: 'r1', costNanos: 10 }), [a, t]);
        expect(await ledger.bucketStates([a, t], T0)).toEqual([
          { key: a.key, budgetId: 'daily', limitNanos: 100, spentNanos: 10, reservedNanos: 0 },
          { key: t.key, budgetId: 'task', limitNanos: 100, spentNanos: 10, reservedNanos: 0 },
        ]);
      });

      it('round-trips every record field, optional ones included', async () => {
        const full = record({
          id: 'full', time: T0 + 123, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331',
          requestId: 'chatcmpl-1', task: 'T-1', session: 'S-1', agent: 'planner', provider: 'anthropic',
          model: 'claude-sonnet-4', operation: 'chat', inputTokens: 1_234, outputTokens: 567, cacheReadTokens: 200,
          cacheWriteTokens: 30, reasoningTokens: 100, costNanos: 9_007_199_254, status: 'error',
          metadata: { 'error.type': 'RateLimitError', retries: 2, streamed: true },
        });
        const bare = record({ id: 'bare', time: T0 + 100 });
        await settleAll([full, bare]);
        expect(await ledger.records({})).toEqual([full, bare]);
      });
    });

    describe('buckets and windows', () => {
      it('keeps calendar buckets (keys carrying the window start) independent', async () => {
        const day1 = bucket('daily|global|2026-03-10', 100, { expiresAt: T0 + DAY });
        const day2 = bucket('daily|global|2026-03-11', 100, { expiresAt: T0 + 2 * DAY });
        await ledger.settle(record({ id: 'a', time: T0 + DAY - 1, costNanos: 100 }), [day1]);
        expect((await ledger.reserve({ id: 'r1', amountNanos: 1, buckets: [day1], now: T0 + DAY - 1, expiresAt: T0 + DAY })).ok).toBe(false);
        expect((await ledger.reserve({ id: 'r2', amountNanos: 100, buckets: [day2], now: T0 + DAY, expiresAt: T0 + DAY + 1 })).ok).toBe(true);
        expect((await ledger.bucketStates([day1, day2], T0 + DAY)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([
          [100, 0],
          [0, 100],
        ]);
      });

      it('counts rolling spend settled at t while now - rollingMs < t <= now', async () => {
        const b = bucket('rolling|global|rolling', 12, { rollingMs: 1_000 });
        await ledger.settle(record({ id: 'a', time: T0 + 5_000, costNanos: 10 }), [b]);
        await ledger.settle(record({ id: 'b', time: T0 + 5_500, costNanos: 5 }), [b]);
        const spent = async (now: number) => (await ledger.bucketStates([b], now))[0]?.spentNanos;
        expect(await spent(T0 + 4_999)).toBe(0);
        expect(await spent(T0 + 5_000)).toBe(10);
        expect(await spent(T0 + 5_500)).toBe(15);
        expect(await spent(T0 + 5_999)).toBe(15);
        expect(await spent(T0 + 6_000)).toBe(5);
        expect(await spent(T0 + 6_499)).toBe(5);
        expect(await spent(T0 + 6_500)).toBe(0);
        const blocked = await ledger.reserve({ id: 'r1', amountNanos: 8, buckets: [b], now: T0 + 6_499, expiresAt: T0 + 7_000 });
        expect(blocked.ok).toBe(false);
        if (!blocked.ok) expect(blocked.failed.spentNanos).toBe(5);
        const fits = await ledger.reserve({ id: 'r2', amountNanos: 12, buckets: [b], now: T0 + 6_500, expiresAt: T0 + 7_000 });
        expect(fits.ok).toBe(true);
      });

      it('keeps rolling sums exact for records settled out of time order, and across prune', async () => {
        const b = bucket('rolling|global|rolling', 1_000, { rollingMs: 1_000 });
        // Times 100, 900, 400, 650 (a clock that moved back), then 1_200.
        for (const [id, time, cost] of [['a', 100, 1], ['b', 900, 10], ['c', 400, 100], ['d', 650, 1_000], ['e', 1_200, 7]] as const) {
          await ledger.settle(record({ id, time: T0 + time, costNanos: cost }), [b]);
        }
        const spent = async (now: number) => (await ledger.bucketStates([b], T0 + now))[0]?.spentNanos;
        expect(await spent(950)).toBe(1_111);
        expect(await spent(1_100)).toBe(1_110);
        expect(await spent(1_200)).toBe(1_117);
        expect(await spent(1_400)).toBe(1_017);
        expect(await spent(1_650)).toBe(17);
        await ledger.prune(T0 + 1_500); // entries at 100 and 400 can no longer count in any window
        expect(await spent(1_550)).toBe(1_017);
        expect(await spent(1_650)).toBe(17);
        await ledger.settle(record({ id: 'f', time: T0 + 1_700, costNanos: 3 }), [b]);
        expect(await spent(1_700)).toBe(20);
      });

      it('keeps a weekly counter (ISO week key) for every day of its week, and starts a new one on Monday 00:00 UTC', async () => {
        const monday = Date.UTC(2026, 2, 16); // 2026-W12 starts; T0 (Tuesday 2026-03-10) is in 2026-W11
        const w11 = bucket('weekly|global|2026-W11', 100, { expiresAt: monday });
        const w12 = bucket('weekly|global|2026-W12', 100, { expiresAt: monday + 7 * DAY });
        await ledger.settle(record({ id: 'a', time: T0 - DAY, costNanos: 60 }), [w11]);
        await ledger.settle(record({ id: 'b', time: T0 + 2 * DAY, costNanos: 40 }), [w11]);
        for (const now of [T0, T0 + 3 * DAY, monday - 1]) {
          expect((await ledger.reserve({ id: `r${now}`, amountNanos: 1, buckets: [w11], now, expiresAt: now + 1_000 })).ok).toBe(false);
        }
        expect((await ledger.reserve({ id: 'next', amountNanos: 100, buckets: [w12], now: monday, expiresAt: monday + 1_000 })).ok).toBe(true);
        expect((await ledger.bucketStates([w11, w12], monday)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([
          [100, 0],
          [0, 100],
        ]);
      });

      it('counts a 7-day rolling window: spend counts for 7 days, and is gone at most one slot (7 minutes) later', async () => {
        const week = 7 * DAY;
        const b = bucket('weekly%3Awindow%3Drolling|global|rolling', 100, { rollingMs: week });
        const t = T0 + 12 * 3_600_000 + 12_345;
        await ledger.settle(record({ id: 'a', time: t, costNanos: 100 }), [b]);
        const spent = async (now: number) => (await ledger.bucketStates([b], now))[0]?.spentNanos;
        expect(await spent(t)).toBe(100);
        expect(await spent(t + 3 * DAY)).toBe(100);
        expect(await spent(t + week - 1)).toBe(100);
        expect((await ledger.reserve({ id: 'r1', amountNanos: 1, buckets: [b], now: t + week - 1, expiresAt: t + week })).ok).toBe(false);
        expect(await spent(t + week + 7 * 60_000)).toBe(0);
        expect((await ledger.reserve({ id: 'r2', amountNanos: 100, buckets: [b], now: t + week + 7 * 60_000, expiresAt: t + week + DAY })).ok).toBe(true);
      });

      it('reports an unknown bucket as empty, with the limit it was asked about', async () => {
        const b = bucket('monthly|global|2026-03', 5_000, { expiresAt: Date.UTC(2026, 3, 1) });
        expect(await ledger.bucketStates([b], T0)).toEqual([
          { key: b.key, budgetId: 'monthly', limitNanos: 5_000, spentNanos: 0, reservedNanos: 0 },
        ]);
      });
    });

    describe('usage', () => {
      const expected: Partial<Record<UsageGroupBy, UsageGroup[]>> = {
        model: [
          group('claude-sonnet-4', { calls: 2, inputTokens: 1_010, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
          group('gpt-4o', { calls: 2, inputTokens: 400, outputTokens: 150, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_500 }),
          group('gpt-4o-mini', { calls: 1, errors: 1, inputTokens: 200, outputTokens: 20, costNanos: 300 }),
          group('text-embedding-3-small', { calls: 1, inputTokens: 800, costNanos: 16 }),
        ],
        provider: [
          group('anthropic', { calls: 2, inputTokens: 1_010, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
          group('openai', { calls: 4, errors: 1, inputTokens: 1_400, outputTokens: 170, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_816 }),
        ],
        task: [
          group('T-2', { calls: 2, inputTokens: 1_010, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
          group('T-1', { calls: 3, errors: 1, inputTokens: 600, outputTokens: 170, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_800 }),
          group('', { calls: 1, inputTokens: 800, costNanos: 16 }),
        ],
        session: [
          group('', { calls: 2, inputTokens: 1_010, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
          group('S-1', { calls: 3, errors: 1, inputTokens: 600, outputTokens: 170, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_800 }),
          group('S-2', { calls: 1, inputTokens: 800, costNanos: 16 }),
        ],
        agent: [
          group('coder', { calls: 2, inputTokens: 1_010, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
          group('planner', { calls: 2, inputTokens: 400, outputTokens: 150, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_500 }),
          group('', { calls: 2, errors: 1, inputTokens: 1_000, outputTokens: 20, costNanos: 316 }),
        ],
        day: [
          group('2026-03-10', { calls: 2, errors: 1, inputTokens: 300, outputTokens: 70, cacheReadTokens: 10, reasoningTokens: 5, costNanos: 1_300 }),
          group('2026-03-11', { calls: 2, inputTokens: 1_800, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_016 }),
          group('2026-03-12', { calls: 2, inputTokens: 310, outputTokens: 100, reasoningTokens: 40, costNanos: 2_500 }),
        ],
        month: [
          group('2026-03', { calls: 6, errors: 1, inputTokens: 2_410, outputTokens: 570, cacheReadTokens: 510, cacheWriteTokens: 100, reasoningTokens: 45, costNanos: 10_816 }),
        ],
        operation: [
          group('chat', { calls: 5, errors: 1, inputTokens: 1_610, outputTokens: 570, cacheReadTokens: 510, cacheWriteTokens: 100, reasoningTokens: 45, costNanos: 10_800 }),
          group('embeddings', { calls: 1, inputTokens: 800, costNanos: 16 }),
        ],
        status: [
          group('ok', { calls: 3, inputTokens: 1_900, outputTokens: 450, cacheReadTokens: 510, cacheWriteTokens: 100, reasoningTokens: 5, costNanos: 8_016 }),
          group('cost_exceeded', { calls: 1, inputTokens: 300, outputTokens: 100, reasoningTokens: 40, costNanos: 2_500 }),
          group('error', { calls: 1, errors: 1, inputTokens: 200, outputTokens: 20, costNanos: 300 }),
          group('denied', { calls: 1, inputTokens: 10 }),
        ],
      };

      for (const by of Object.keys(expected) as UsageGroupBy[]) {
        it(`groups by ${by}`, async () => {
          await settleAll(usageFixture());
          expect(await ledger.usage({ by })).toEqual(expected[by]);
        });
      }

      it('groups by UTC month (YYYY-MM), months ascending, and keeps pruned days in their month', async () => {
        const at = (id: string, time: number, costNanos: number) => record({ id, time, costNanos, inputTokens: 1 });
        await settleAll([
          at('feb', Date.UTC(2026, 1, 28, 12), 1),
          at('mar-first', Date.UTC(2026, 2, 1), 10),
          at('mar-last', Date.UTC(2026, 3, 1) - 1, 100),
          at('apr-first', Date.UTC(2026, 3, 1), 1_000),
          at('apr-later', Date.UTC(2026, 3, 20, 8), 10_000),
        ]);
        const expectedMonths = [
          group('2026-02', { calls: 1, inputTokens: 1, costNanos: 1 }),
          group('2026-03', { calls: 2, inputTokens: 2, costNanos: 110 }),
          group('2026-04', { calls: 2, inputTokens: 2, costNanos: 11_000 }),
        ];
        expect(await ledger.usage({ by: 'month' })).toEqual(expectedMonths);
        expect(await ledger.prune(Date.UTC(2026, 3, 10))).toBe(4);
        expect(await ledger.usage({ by: 'month' })).toEqual(expectedMonths);
        expect(await ledger.usage({ by: 'month', since: Date.UTC(2026, 2, 1) })).toEqual(expectedMonths.slice(1));
      });

      it('rejects an unknown grouping with a TypeError naming it and the accepted ones', async () => {
        const err = await ledger.usage({ by: 'nope' as UsageGroupBy }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(TypeError);
        expect((err as Error).message).toBe(
          'unknown usage grouping "nope"; use one of model, provider, task, session, agent, day, month, operation, status, user, team, apiKey, tag, metadata.<key>',
        );
      });

      it('returns nothing for an empty ledger', async () => {
        expect(await ledger.usage({ by: 'model' })).toEqual([]);
      });

      it('treats since as inclusive and until as exclusive', async () => {
        await settleAll(usageFixture());
        const result = await ledger.usage({ by: 'day', since: T0 + 2_000, until: T0 + 2 * DAY + 200 });
        expect(result).toEqual([
          group('2026-03-10', { calls: 1, errors: 1, inputTokens: 200, outputTokens: 20, costNanos: 300 }),
          group('2026-03-11', { calls: 2, inputTokens: 1_800, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_016 }),
          group('2026-03-12', { calls: 1, inputTokens: 10 }),
        ]);
      });

      it('filters with where on every field given', async () => {
        await settleAll(usageFixture());
        expect(await ledger.usage({ by: 'model', where: { provider: 'openai', task: 'T-1' } })).toEqual([
          group('gpt-4o', { calls: 2, inputTokens: 400, outputTokens: 150, cacheReadTokens: 10, reasoningTokens: 45, costNanos: 3_500 }),
          group('gpt-4o-mini', { calls: 1, errors: 1, inputTokens: 200, outputTokens: 20, costNanos: 300 }),
        ]);
        expect(await ledger.usage({ by: 'task', where: { agent: 'coder', status: 'ok' } })).toEqual([
          group('T-2', { calls: 1, inputTokens: 1_000, outputTokens: 400, cacheReadTokens: 500, cacheWriteTokens: 100, costNanos: 7_000 }),
        ]);
        expect(await ledger.usage({ by: 'day', where: { operation: 'embeddings', session: 'S-2', model: 'text-embedding-3-small' } })).toEqual([
          group('2026-03-11', { calls: 1, inputTokens: 800, costNanos: 16 }),
        ]);
        expect(await ledger.usage({ by: 'model', where: { session: 'nope' } })).toEqual([]);
      });

      describe('by attribution dimension', () => {
        const aliceKey = apiKeyHash('sk-alice-secret');
        const fixture = (): UsageRecord[] => [
          record({ id: 'a1', time: T0 + 1, user: 'alice', team: 'search', apiKeyHash: aliceKey, tags: ['batch', 'eval'], metadata: { env: 'prod' }, costNanos: 100, inputTokens: 1 }),
          record({ id: 'a2', time: T0 + DAY, user: 'bob', team: 'search', tags: ['batch'], metadata: { env: 'dev', decision: 'warn' }, costNanos: 20, inputTokens: 2 }),
          record({ id: 'a3', time: T0 + DAY + 1, team: 'ads', costNanos: 3, inputTokens: 4 }),
        ];
        const g = (key: string, calls: number, inputTokens: number, costNanos: number): UsageGroup => group(key, { calls, inputTokens, costNanos });
        const byDimension: [UsageGroupBy, UsageGroup[]][] = [
          ['user', [g('alice', 1, 1, 100), g('bob', 1, 2, 20), g('', 1, 4, 3)]],
          ['team', [g('search', 2, 3, 120), g('ads', 1, 4, 3)]],
          ['apiKey', [g(aliceKey, 1, 1, 100), g('', 2, 6, 23)]],
          ['tag', [g('batch', 2, 3, 120), g('eval', 1, 1, 100), g('', 1, 4, 3)]],
          ['metadata.env', [g('prod', 1, 1, 100), g('dev', 1, 2, 20), g('', 1, 4, 3)]],
          ['metadata.decision', [g('', 2, 5, 103), g('warn', 1, 2, 20)]],
        ];
        for (const [by, groups] of byDimension) {
          it(`groups by ${by}`, async () => {
            await settleAll(fixture());
            expect(await ledger.usage({ by })).toEqual(groups);
            // The same from the records of a time range (stores answer whole days from rollups, edge days from records).
            expect(await ledger.usage({ by, since: T0 + 1, until: T0 + DAY + 2 })).toEqual(groups);
          });
        }

        it('filters by user, team, API key (the key or its hash), tag and metadata', async () => {
          await settleAll(fixture());
          expect(await ledger.usage({ by: 'user', where: { team: 'search' } })).toEqual([g('alice', 1, 1, 100), g('bob', 1, 2, 20)]);
          expect(await ledger.usage({ by: 'team', where: { apiKey: 'sk-alice-secret' } })).toEqual([g('search', 1, 1, 100)]);
          expect(await ledger.usage({ by: 'team', where: { apiKey: aliceKey } })).toEqual([g('search', 1, 1, 100)]);
          expect(await ledger.usage({ by: 'user', where: { tag: 'eval' } })).toEqual([g('alice', 1, 1, 100)]);
          expect(await ledger.usage({ by: 'team', where: { tag: '' } })).toEqual([g('ads', 1, 4, 3)]);
          expect(await ledger.usage({ by: 'user', where: { 'metadata.env': 'dev', provider: 'openai' } })).toEqual([g('bob', 1, 2, 20)]);
          expect(await ledger.usage({ by: 'tag', where: { user: 'alice' }, since: T0 + 1, until: T0 + 2 })).toEqual([g('batch', 1, 1, 100), g('eval', 1, 1, 100)]);
        });

        it('returns records with their dimensions, the API key only as its hash', async () => {
          await settleAll(fixture());
          const [newest, , oldest] = await ledger.records({});
          expect(oldest).toEqual(fixture()[0]);
          expect(newest).toEqual(fixture()[2]);
          expect(JSON.stringify(await ledger.records({}))).not.toContain('sk-alice-secret');
        });
      });
    });

    describe('records', () => {
      it('lists newest first, with filters', async () => {
        await settleAll(usageFixture());
        const ids = async (q: Parameters<Ledger['records']>[0]) => (await ledger.records(q)).map((r) => r.id);
        expect(await ids({})).toEqual(['u6', 'u5', 'u4', 'u3', 'u2', 'u1']);
        expect(await ids({ traceId: 'trace-a' })).toEqual(['u2', 'u1']);
        expect(await ids({ task: 'T-1' })).toEqual(['u6', 'u2', 'u1']);
        expect(await ids({ session: 'S-1', limit: 2 })).toEqual(['u6', 'u2']);
        expect(await ids({ since: T0 + 2_000, until: T0 + 2 * DAY + 100 })).toEqual(['u4', 'u3', 'u2']);
      });

      it('returns at most 100 by default', async () => {
        await settleAll(Array.from({ length: 105 }, (_, i) => record({ id: `r${i}`, time: T0 + i })));
        const all = await ledger.records({});
        expect(all.length).toBe(100);
        expect(all[0]?.id).toBe('r104');
        expect(all[99]?.id).toBe('r5');
        expect((await ledger.records({ limit: 1_000 })).length).toBe(105);
      });
    });

    describe('prune', () => {
      it('deletes old records but keeps daily usage and bucket counters', async () => {
        const daily = bucket('daily|global|2026-03-12', 1_000_000, { expiresAt: T0 + 3 * DAY });
        const total = bucket('total|global|all', 1_000_000);
        const rolling = bucket('rolling|global|rolling', 1_000_000, { rollingMs: 3 * DAY });
        const task = bucket('task|T-1|all', 1_000_000);
        for (const r of usageFixture()) await ledger.settle(r, r.time >= T0 + 2 * DAY ? [daily, total, rolling, task] : [total, rolling, task]);
        const now = T0 + 2 * DAY + 1_000;
        const byDay = await ledger.usage({ by: 'day' });
        const states = await ledger.bucketStates([daily, total, rolling, task], now);
        expect(states.map((s) => s.spentNanos)).toEqual([2_500, 10_816, 10_816, 10_816]);

        expect(await ledger.prune(T0 + DAY + 6)).toBe(3);
        expect((await ledger.records({})).map((r) => r.id)).toEqual(['u6', 'u5', 'u4']);
        expect(await ledger.usage({ by: 'day' })).toEqual(byDay);
        expect(await ledger.bucketStates([daily, total, rolling, task], now)).toEqual(states);

        expect(await ledger.prune(T0 + 2 * DAY)).toBe(1);
        expect(await ledger.prune(T0 + 2 * DAY)).toBe(0);
        expect(await ledger.usage({ by: 'day' })).toEqual(byDay);
        expect(await ledger.bucketStates([daily, total, rolling, task], now)).toEqual(states);
      });

      it('keeps whole-day totals for other groupings of pruned days', async () => {
        await settleAll(usageFixture());
        const byModel = await ledger.usage({ by: 'model' });
        const byTask = await ledger.usage({ by: 'task', where: { provider: 'openai' } });
        await ledger.prune(T0 + 2 * DAY);
        expect(await ledger.usage({ by: 'model' })).toEqual(byModel);
        expect(await ledger.usage({ by: 'task', where: { provider: 'openai' } })).toEqual(byTask);
      });
    });

    describe('budgets', () => {
      it('puts, lists (sorted by id), replaces and deletes budgets', async () => {
        expect(await ledger.listBudgets()).toEqual([]);
        await ledger.putBudget({ id: 'task', spec: { scope: 'task', maxUsd: 0.5 } });
        await ledger.putBudget({ id: 'daily', spec: { scope: 'daily', maxUsd: 20, onExceed: 'warn' } });
        await ledger.putBudget({ id: 'task', spec: { scope: 'task', maxUsd: 0.75, model: 'gpt-4o' } });
        expect(await ledger.listBudgets()).toEqual([
          { id: 'daily', spec: { scope: 'daily', maxUsd: 20, onExceed: 'warn' } },
          { id: 'task', spec: { scope: 'task', maxUsd: 0.75, model: 'gpt-4o' } },
        ]);
        expect(await ledger.deleteBudget('daily')).toBe(true);
        expect(await ledger.deleteBudget('daily')).toBe(false);
        expect(await ledger.listBudgets()).toEqual([{ id: 'task', spec: { scope: 'task', maxUsd: 0.75, model: 'gpt-4o' } }]);
      });
    });

    describe('limits beyond 2^53 nano-USD (budgets above ~$9M, up to MAX_BUDGET_USD)', () => {
      it('compares exact sums with a $10M limit (1e16 nanos) and a $1T limit (1e21 nanos)', async () => {
        const tenMillion = bucket('daily|global|2026-03-10', usdToNanos(1e7));
        const trillion = bucket('total|global|all', usdToNanos(1e12));
        expect([tenMillion.limitNanos, trillion.limitNanos]).toEqual([1e16, 1e21]);
        await ledger.settle(record({ id: 's1', costNanos: 9_000_000_000_000_000 }), [tenMillion, trillion]);
        // Up to 2^53 - 1 in all: the sum is exact and fits.
        const fits = await ledger.reserve({ id: 'r1', amountNanos: 7_199_254_740_991, buckets: [tenMillion, trillion], now: T0, expiresAt: T0 + 60_000 });
        expect(fits).toEqual({
          ok: true,
          states: [
            { key: tenMillion.key, budgetId: 'daily', limitNanos: 1e16, spentNanos: 9e15, reservedNanos: 7_199_254_740_991 },
            { key: trillion.key, budgetId: 'total', limitNanos: 1e21, spentNanos: 9e15, reservedNanos: 7_199_254_740_991 },
          ],
        });
        // $1M more passes the $10M limit, and the $1T one has room for it.
        const over = await ledger.reserve({ id: 'r2', amountNanos: 1_000_000_000_000_000, buckets: [trillion, tenMillion], now: T0, expiresAt: T0 + 60_000 });
        expect(over.ok).toBe(false);
        if (!over.ok) expect(over.failed.key).toBe(tenMillion.key);
        expect((await ledger.reserve({ id: 'r3', amountNanos: 1_000_000_000_000_000, buckets: [trillion], now: T0, expiresAt: T0 + 60_000 })).ok).toBe(true);
      });

      it('keeps counting a bucket past 2^53 nanos, and a $1T limit still admits', async () => {
        const trillion = bucket('total|global|all', 1e21);
        await ledger.settle(record({ id: 's1', costNanos: 9_000_000_000_000_000 }), [trillion]);
        await ledger.settle(record({ id: 's2', costNanos: 9_000_000_000_000_000 }), [trillion]);
        expect((await ledger.bucketStates([trillion], T0))[0]?.spentNanos).toBe(18_000_000_000_000_000);
        const r = await ledger.reserve({ id: 'r1', amountNanos: 5_000_000_000, buckets: [trillion], now: T0, expiresAt: T0 + 60_000 });
        expect(r.ok).toBe(true);
      });
    });

    describe('resets', () => {
      const reset = (target: string, time = T0 + 5_000) => ({ target, actor: 'alice', time });

      it('sets the named counters to zero and leaves the others, the records, usage and live reservations alone', async () => {
        const s1 = bucket('session|S-1|all', 1_000);
        const s2 = bucket('session|S-2|all', 1_000);
        const daily = bucket('daily|global|2026-03-10', 10_000, { expiresAt: T0 + DAY });
        const rolling = bucket('rolling|S-1|rolling', 1_000, { rollingMs: DAY });
        await ledger.settle(record({ id: 'a', session: 'S-1', costNanos: 700, time: T0 + 1_000 }), [s1, daily, rolling]);
        await ledger.settle(record({ id: 'b', session: 'S-2', costNanos: 300, time: T0 + 2_000 }), [s2, daily]);
        await ledger.reserve({ id: 'live', amountNanos: 200, buckets: [s1], now: T0 + 3_000, expiresAt: T0 + 60_000 });
        const usage = await ledger.usage({ by: 'session' });

        await ledger.resetBuckets(reset('session:S-1'), [s1.key, rolling.key]);

        const now = T0 + 6_000;
        expect((await ledger.bucketStates([s1, s2, daily, rolling], now)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([
          [0, 200],
          [300, 0],
          [1_000, 0],
          [0, 0],
        ]);
        expect(await ledger.usage({ by: 'session' })).toEqual(usage);
        expect((await ledger.records({})).map((r) => r.id)).toEqual(['b', 'a']);
        // Spend settled after the reset counts from zero.
        await ledger.settle(record({ id: 'c', session: 'S-1', costNanos: 50, time: now }), [s1, rolling]);
        expect((await ledger.bucketStates([s1, rolling], now)).map((s) => s.spentNanos)).toEqual([50, 50]);
        // The counter limits admission from zero: 50 spent + 200 reserved + 750 fits 1,000 exactly.
        expect((await ledger.reserve({ id: 'next', amountNanos: 750, buckets: [s1], now, expiresAt: now + 60_000 })).ok).toBe(true);
      });

      it('resets every counter when no keys are given, and logs each reset newest first', async () => {
        const s1 = bucket('session|S-1|all', 1_000);
        const total = bucket('total|global|all', 1_000);
        const rolling = bucket('daily|global|rolling', 1_000, { rollingMs: DAY });
        await ledger.settle(record({ id: 'a', costNanos: 400, time: T0 + 1_000 }), [s1, total, rolling]);
        expect(await ledger.resets()).toEqual([]);
        await ledger.resetBuckets(reset('session:S-1', T0 + 2_000), [s1.key]);
        await ledger.resetBuckets({ target: 'all', actor: 'cli:bob', time: T0 + 3_000 });
        expect((await ledger.bucketStates([s1, total, rolling], T0 + 4_000)).map((s) => s.spentNanos)).toEqual([0, 0, 0]);
        expect(await ledger.usage({ by: 'day' })).toEqual([group('2026-03-10', { calls: 1, costNanos: 400 })]);
        expect(await ledger.resets()).toEqual([
          { target: 'all', actor: 'cli:bob', time: T0 + 3_000 },
          { target: 'session:S-1', actor: 'alice', time: T0 + 2_000 },
        ]);
        expect(await ledger.resets(1)).toEqual([{ target: 'all', actor: 'cli:bob', time: T0 + 3_000 }]);
        await ledger.resetBuckets(reset('session:S-9', T0 + 4_000), []);
        expect((await ledger.resets())[0]).toEqual({ target: 'session:S-9', actor: 'alice', time: T0 + 4_000 });
      });
    });

    describe('seed', () => {
      const seed = (seeds: BucketSeed[]): Promise<string[]> => {
        if (ledger.seed === undefined) throw new Error('this store has no seed()');
        return ledger.seed(seeds);
      };

      it('starts a bucket that holds nothing at its seeds, which then limit admission', async () => {
        const daily = bucket('daily|global|2026-03-10', 1_000, { expiresAt: T0 + DAY });
        const total = bucket('total|global|all', 5_000);
        expect(await seed([
          { bucket: daily, nanos: 400, time: T0 + 1_000 },
          { bucket: total, nanos: 900, time: T0 + 1_000 },
          { bucket: daily, nanos: 300, time: T0 + 2_000 },
        ])).toEqual([daily.key, total.key]);
        expect((await ledger.bucketStates([daily, total], T0 + 3_000)).map((s) => s.spentNanos)).toEqual([700, 900]);
        // 700 seeded + 301 passes 1,000; 300 fits exactly.
        expect((await ledger.reserve({ id: 'r1', amountNanos: 301, buckets: [daily], now: T0 + 3_000, expiresAt: T0 + 60_000 })).ok).toBe(false);
        expect((await ledger.reserve({ id: 'r2', amountNanos: 300, buckets: [daily], now: T0 + 3_000, expiresAt: T0 + 60_000 })).ok).toBe(true);
        // Settlements add to the seeded counter; seeding writes no record and no usage.
        await ledger.settle(record({ id: 'r2', costNanos: 250, time: T0 + 4_000 }), [daily, total]);
        expect((await ledger.bucketStates([daily, total], T0 + 4_000)).map((s) => s.spentNanos)).toEqual([950, 1_150]);
        expect((await ledger.records({})).map((r) => r.id)).toEqual(['r2']);
        expect((await ledger.usage({ by: 'provider' })).map((g) => g.costNanos)).toEqual([250]);
      });

      it('leaves a bucket that holds spend as it is, and seeds a bucket once', async () => {
        const daily = bucket('daily|global|2026-03-10', 10_000, { expiresAt: T0 + DAY });
        const task = bucket('task|T-1|all', 10_000);
        await ledger.settle(record({ id: 'a', costNanos: 300, time: T0 + 1_000 }), [daily]);
        expect(await seed([
          { bucket: daily, nanos: 700, time: T0 + 500 },
          { bucket: task, nanos: 200, time: T0 + 500 },
        ])).toEqual([task.key]);
        expect(await seed([{ bucket: task, nanos: 200, time: T0 + 500 }])).toEqual([]);
        expect((await ledger.bucketStates([daily, task], T0 + 2_000)).map((s) => s.spentNanos)).toEqual([300, 200]);
      });

      it('seeds a rolling bucket at each seed\'s time, so each leaves the window when its time does', async () => {
        const rolling = bucket('daily|global|rolling', 10_000, { rollingMs: DAY });
        expect(await seed([
          { bucket: rolling, nanos: 500, time: T0 + 1_000 },
          { bucket: rolling, nanos: 200, time: T0 + 12 * 3_600_000 },
        ])).toEqual([rolling.key]);
        expect((await ledger.bucketStates([rolling], T0 + 13 * 3_600_000))[0]?.spentNanos).toBe(700);
        // A day and an hour after the first seed: only the second counts.
        expect((await ledger.bucketStates([rolling], T0 + 25 * 3_600_000))[0]?.spentNanos).toBe(200);
        // A rolling bucket with entries holds spend: seeded once.
        expect(await seed([{ bucket: rolling, nanos: 100, time: T0 + 13 * 3_600_000 }])).toEqual([]);
      });

      it('seeds a counter a reset emptied, as one that never held spend', async () => {
        const s1 = bucket('session|S-1|all', 1_000);
        await ledger.settle(record({ id: 'a', session: 'S-1', costNanos: 700, time: T0 + 1_000 }), [s1]);
        await ledger.resetBuckets({ target: 'session:S-1', actor: 'alice', time: T0 + 2_000 }, [s1.key]);
        expect(await seed([{ bucket: s1, nanos: 50, time: T0 + 3_000 }])).toEqual([s1.key]);
        expect((await ledger.bucketStates([s1], T0 + 3_000))[0]?.spentNanos).toBe(50);
      });
    });

    describe('lifecycle', () => {
      it('answers ping and closes idempotently', async () => {
        await ledger.ping();
        await ledger.close();
        await ledger.close();
      });
    });
  });
}
