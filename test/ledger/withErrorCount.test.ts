import { describe, expect, it } from 'vitest';
import type { Bucket, BucketState } from '../../src/ledger/Ledger.js';
import { LazyLedger } from '../../src/ledger/LazyLedger.js';
import { LedgerClosedError } from '../../src/ledger/LedgerClosedError.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { withErrorCount } from '../../src/ledger/withErrorCount.js';
import { usageRecord } from '../helpers/usageRecord.js';
import { runLedgerContract } from './ledgerContract.js';

runLedgerContract('withErrorCount(MemoryLedger)', async () => {
  const ledger = withErrorCount(new MemoryLedger(), () => {
    throw new Error('no operation of the contract fails');
  });
  return { ledger, cleanup: () => ledger.close() };
});

const bucket: Bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };

describe('withErrorCount', () => {
  it('keeps a synchronous reserve synchronous, and a settlement visible at once', async () => {
    const ledger = withErrorCount(new MemoryLedger(), () => undefined);
    const reserved = ledger.reserve({ id: 'r1', amountNanos: 10, buckets: [bucket], now: 0, expiresAt: 1_000 });
    expect(reserved).toEqual({ ok: true, states: [{ ...stateOf(bucket), reservedNanos: 10 }] });
    const settled = ledger.settle(usageRecord({ id: 'r1', time: 1, costNanos: 7 }), [bucket]);
    // The store did the work when settle returned: a reservation made now sees the spend, and r1 released.
    const after = { ...stateOf(bucket), spentNanos: 7 };
    expect(ledger.reserve({ id: 'r2', amountNanos: 94, buckets: [bucket], now: 1, expiresAt: 1_000 })).toEqual({ ok: false, failed: after, states: [after] });
    expect(await settled).toEqual([{ ...stateOf(bucket), spentNanos: 7 }]);
  });

  it('counts each failing operation by name and passes the error on: thrown by reserve, rejected by the rest', async () => {
    const counted: string[] = [];
    const inner = new MemoryLedger();
    const ledger = withErrorCount(inner, (operation) => counted.push(operation));
    await inner.close();
    expect(() => ledger.reserve({ id: 'r', amountNanos: 1, buckets: [], now: 0, expiresAt: 1 })).toThrow(LedgerClosedError);
    await expect(ledger.settle(usageRecord({ id: 's', time: 0 }), [])).rejects.toThrow(LedgerClosedError);
    await expect(ledger.release('r')).rejects.toThrow(LedgerClosedError);
    await expect(ledger.bucketStates([], 0)).rejects.toThrow(LedgerClosedError);
    await expect(ledger.usage({ by: 'model' })).rejects.toThrow(LedgerClosedError);
    await expect(ledger.records({})).rejects.toThrow(LedgerClosedError);
    await expect(ledger.prune(0)).rejects.toThrow(LedgerClosedError);
    await expect(ledger.listBudgets()).rejects.toThrow(LedgerClosedError);
    await expect(ledger.putBudget({ id: 'b', spec: {} })).rejects.toThrow(LedgerClosedError);
    await expect(ledger.deleteBudget('b')).rejects.toThrow(LedgerClosedError);
    await expect(ledger.ping()).rejects.toThrow(LedgerClosedError);
    await ledger.close();
    expect(counted).toEqual(['reserve', 'settle', 'release', 'bucketStates', 'usage', 'records', 'prune', 'listBudgets', 'putBudget', 'deleteBudget', 'ping']);
  });

  it('counts an asynchronous reserve that rejects', async () => {
    const counted: string[] = [];
    const ledger = withErrorCount(new LazyLedger({ url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 50, maxReconnectDelayMs: 50 }), (op) => counted.push(op));
    try {
      await expect(ledger.reserve({ id: 'r', amountNanos: 1, buckets: [bucket], now: 0, expiresAt: 1 })).rejects.toThrow(/Redis ledger reserve failed/);
      expect(counted).toEqual(['reserve']);
    } finally {
      await ledger.close();
    }
  });

  it('offers flush only when the store has one', async () => {
    const memory = withErrorCount(new MemoryLedger(), () => undefined);
    expect(memory.flush).toBeUndefined();
    const sqlite = withErrorCount(new SqliteLedger({ path: ':memory:', durability: 'batched' }), () => undefined);
    try {
      expect(sqlite.flush).toBeTypeOf('function');
      await sqlite.flush?.();
    } finally {
      await sqlite.close();
    }
  });
});

/** The bucket's state with nothing spent or reserved. */
function stateOf(b: Bucket): BucketState {
  return { key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos: 0, reservedNanos: 0 };
}
