/**
 * Settlements waiting for their group (SqliteLedger `settleDelayMs`): they wait for others to
 * share one transaction, an operation that may not wait takes them into the next turn's group,
 * and flush / forceFlush commit them at once. The process-level cases (exit, SIGKILL) are in
 * test/ledger/sqliteProcess.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { SqliteLedger } from '../../../src/ledger/sqlite.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import { tempDirs } from '../../helpers/tempDirs.js';

const temp = tempDirs('tollgate-settle-delay-');
const tempDb = (): string => temp.file('ledger.db');

const T0 = Date.UTC(2026, 2, 10);
const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true, expiresAt: T0 + 86_400_000 };
const record = (i: number) => ({
  id: `s-${i}`, time: T0 + i, provider: 'openai', model: 'gpt-4o', operation: 'chat',
  inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 100, status: 'ok' as const,
});

/** A ledger with `options` and a second handle on its file (another process in production), both closed after `fn`. */
async function withLedgers(options: { settleDelayMs: number }, fn: (ledger: SqliteLedger, other: SqliteLedger) => Promise<void>): Promise<void> {
  const path = tempDb();
  const ledger = new SqliteLedger({ path, ...options });
  const other = new SqliteLedger({ path });
  try {
    await fn(ledger, other);
  } finally {
    await other.close();
    await ledger.close();
  }
}

/** Marks when a promise has resolved. */
function watch<T>(p: Promise<T>): { p: Promise<T>; done: () => boolean } {
  let done = false;
  void p.then(() => (done = true));
  return { p, done: () => done };
}

describe('SqliteLedger settleDelayMs', () => {
  it('settlements of separate turns within the delay share one transaction; no other handle sees them before it commits', async () => {
    await withLedgers({ settleDelayMs: 300 }, async (ledger, other) => {
      const first = watch(ledger.settle(record(1), [bucket]));
      await sleep(50);
      // Several turns later the first still waits, unwritten.
      expect(first.done()).toBe(false);
      expect(await other.records({})).toEqual([]);
      const second = watch(ledger.settle(record(2), [bucket]));
      const [a, b] = await Promise.all([first.p, second.p]);
      expect([a[0]?.spentNanos, b[0]?.spentNanos]).toEqual([100, 200]);
      expect((await other.records({})).map((r) => r.id).sort()).toEqual(['s-1', 's-2']);
    });
  });

  it('a reservation queued while settlements wait commits them with it in the next turn', async () => {
    await withLedgers({ settleDelayMs: 1_000 }, async (ledger, other) => {
      const settled = watch(ledger.settle(record(1), [bucket]));
      const started = Date.now();
      const reserved = await ledger.reserve({ id: 'r-1', amountNanos: 500, buckets: [bucket], now: T0, expiresAt: T0 + 60_000 });
      expect(reserved.ok).toBe(true);
      // Settled in the reservation's group, queued before it: its spend is in the state the reservation saw.
      expect(reserved.states[0]).toMatchObject({ spentNanos: 100, reservedNanos: 500 });
      await settled.p;
      expect(Date.now() - started).toBeLessThan(900);
      expect((await other.records({})).map((r) => r.id)).toEqual(['s-1']);
    });
  });

  it('a group that reaches 64 operations commits at the end of its turn without waiting', async () => {
    const path = tempDb();
    const ledger = new SqliteLedger({ path, settleDelayMs: 1_000 });
    try {
      const few = watch(Promise.all(Array.from({ length: 63 }, (_, i) => ledger.settle(record(i), [bucket]))));
      await sleep(50);
      expect(few.done()).toBe(false);
      const started = Date.now();
      await Promise.all([few.p, ledger.settle(record(63), [bucket])]);
      expect(Date.now() - started).toBeLessThan(500);
      expect(await ledger.records({ limit: 100 })).toHaveLength(64);
    } finally {
      await ledger.close();
    }
  });

  it('settleDelayMs 0 commits at the end of the turn', async () => {
    await withLedgers({ settleDelayMs: 0 }, async (ledger, other) => {
      const settled = watch(ledger.settle(record(1), [bucket]));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled.done()).toBe(true);
      expect(await other.records({})).toHaveLength(1);
    });
  });

  it('tollgate.forceFlush() and shutdown() commit waiting settlements at once, not after the delay', async () => {
    const path = tempDb();
    const t = makeTestTollgate({ store: `sqlite:${path}`, sqlite: { settleDelayMs: 1_000 }, budgets: [{ scope: 'daily', maxUsd: 10 }] });
    const other = new SqliteLedger({ path });
    try {
      const call = () => t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10, inputTokens: 10 }, (c) => c.setUsage({ input: 1000, output: 500 }));
      await call();
      await call();
      expect(await other.records({})).toEqual([]);
      let started = Date.now();
      await t.tollgate.forceFlush();
      expect(Date.now() - started).toBeLessThan(900);
      expect((await other.usage({ by: 'model' }))[0]).toMatchObject({ calls: 2, costNanos: 2 * 450_000 });
      await call();
      started = Date.now();
      await t.shutdown();
      expect(Date.now() - started).toBeLessThan(900);
      expect((await other.usage({ by: 'model' }))[0]?.calls).toBe(3);
    } finally {
      await other.close();
      await t.shutdown();
    }
  });

  it('rejects a settleDelayMs that is not a whole number of ms from 0 to 1000, naming it (options and config)', () => {
    const path = tempDb();
    for (const bad of [-1, 1.5, 1001, Number.NaN]) {
      expect(() => new SqliteLedger({ path, settleDelayMs: bad })).toThrow(/settleDelayMs must be a whole number of milliseconds from 0 to 1000/);
    }
    expect(() => loadConfig({ noFile: true, env: {}, overrides: { sqlite: { settleDelayMs: 5000 } } })).toThrow(/sqlite\.settleDelayMs.*from 0 to 1000/);
    expect(loadConfig({ noFile: true, env: {}, overrides: { sqlite: { settleDelayMs: 5 } } }).sqlite.settleDelayMs).toBe(5);
  });
});
