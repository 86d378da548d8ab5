import { describe, expect, it } from 'vitest';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import { PAUSE_RECORD_ID } from '../../src/budget/PauseSwitch.js';
import { BudgetConfigError } from '../../src/core/BudgetConfigError.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { USD, asyncLedger, call, harness, linearPricer } from './engineHarness.js';

/** 2026-03-10T12:00:00.000Z */
const NOON = Date.UTC(2026, 2, 10, 12);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('PauseSwitch (the engine kill switch)', () => {
  it('refuses every admission while paused with a BudgetExceededError naming the pause, then admits again after resume', async () => {
    const h = harness([], NOON);
    expect(h.engine.killSwitch.paused).toBe(false);
    expect(h.engine.admit(call(10))).toMatchObject({ decision: 'allow' });

    const state = await h.engine.killSwitch.pause('incident 42');
    expect(state).toEqual({ paused: true, reason: 'incident 42', since: NOON });
    const err = thrown(() => h.engine.admit(call(10, { model: 'gpt-4o-mini' })));
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: PAUSE_RECORD_ID, scope: 'total', key: 'global', action: 'deny', model: 'gpt-4o-mini' });
    expect((err as Error).message).toContain('incident 42');
    expect(h.exceeded.at(-1)).toMatchObject({ budgetId: PAUSE_RECORD_ID, action: 'deny' });
    // The refusal is recorded as a denied call.
    await h.engine.forceFlush();
    const byStatus = await h.ledger.usage({ by: 'status' });
    expect(byStatus.find((g) => g.key === 'denied')?.calls).toBe(1);

    expect(await h.engine.killSwitch.resume()).toBe(true);
    expect(h.engine.killSwitch.current()).toEqual({ paused: false });
    expect(h.engine.admit(call(10))).toMatchObject({ decision: 'allow' });
    expect(await h.engine.killSwitch.resume()).toBe(false);
  });

  it('refuses calls with an async store too (before the store is asked)', async () => {
    const h = harness([{ scope: 'daily', maxUsd: 100 }], NOON, { ledger: asyncLedger(new MemoryLedger()) });
    await h.engine.killSwitch.pause('maintenance');
    await expect(Promise.resolve().then(() => h.engine.admit(call(1)))).rejects.toMatchObject({ name: 'BudgetExceededError', budgetId: PAUSE_RECORD_ID });
  });

  it('is stored in the ledger: another engine sharing the store obeys it after load(), and sees the resume', async () => {
    const ledger = new MemoryLedger();
    const a = harness([], NOON, { ledger });
    const b = new BudgetEngine({ ledger, pricer: linearPricer(), clock: () => NOON });
    await a.engine.killSwitch.pause('from replica a');
    expect(b.killSwitch.paused).toBe(false);
    await b.load();
    expect(b.killSwitch.current()).toEqual({ paused: true, reason: 'from replica a', since: NOON });
    expect(() => b.admit(call(1))).toThrow(/paused \(from replica a\)/);
    // The stored pause is not a budget.
    expect(b.list().map((x) => x.id)).not.toContain(PAUSE_RECORD_ID);
    await a.engine.killSwitch.resume();
    await b.load();
    expect(b.killSwitch.paused).toBe(false);
    expect(b.admit(call(1))).toMatchObject({ decision: 'allow' });
  });

  it('keeps its id reserved: no budget can take it, and removing it as a budget does nothing', async () => {
    const h = harness([], NOON);
    await expect(h.engine.add({ id: PAUSE_RECORD_ID, scope: 'daily', maxUsd: 1 })).rejects.toBeInstanceOf(BudgetConfigError);
    await h.engine.killSwitch.pause('x');
    expect(await h.engine.remove(PAUSE_RECORD_ID)).toBe(false);
    await h.engine.load();
    expect(h.engine.killSwitch.paused).toBe(true);
  });

  it('a load that raced a pause does not undo it', async () => {
    const h = harness([], NOON);
    const loading = h.engine.load();
    await h.engine.killSwitch.pause('raced');
    await loading;
    expect(h.engine.killSwitch.paused).toBe(true);
    expect(() => h.engine.admit(call(1 * USD))).toThrow(BudgetExceededError);
  });
});
