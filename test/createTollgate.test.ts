import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BudgetExceededError } from '../src/core/BudgetExceededError.js';
import { ConfigError } from '../src/core/ConfigError.js';
import { UnknownModelError } from '../src/core/UnknownModelError.js';
import { createTollgate } from '../src/createTollgate.js';
import { MemoryLedger } from '../src/ledger/memory.js';
import { SqliteLedger } from '../src/ledger/sqlite.js';
import { makeTestTollgate, type TestTollgate } from './helpers/otel.js';

let t: TestTollgate | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

describe('createTollgate', () => {
  it('throws a ConfigError naming the field at construction', () => {
    expect(() => createTollgate({ configFile: false, env: {}, budgets: [{ scope: 'daily', maxUsd: -1 }] })).toThrow(ConfigError);
    expect(() => createTollgate({ configFile: false, env: {}, budgets: [{ scope: 'daily', maxUsd: -1 }] })).toThrow(/budgets\[0\]\.maxUsd/);
  });

  it('reads TOLLGATE_* from the environment it is given, below explicit options', async () => {
    const fromEnv = createTollgate({ configFile: false, env: { TOLLGATE_STORE: 'memory:', TOLLGATE_DAILY_BUDGET_USD: '3' }, guardFetch: false });
    expect(fromEnv.config.store).toBe('memory:');
    expect(fromEnv.budgets.list().map((b) => [b.scope, b.maxUsd, b.onExceed])).toEqual([['daily', 3, 'deny']]);
    await fromEnv.shutdown();
    const explicit = createTollgate({ configFile: false, env: { TOLLGATE_STORE: 'sqlite:/nonexistent/x.db' }, store: 'memory:', guardFetch: false });
    expect(explicit.config.store).toBe('memory:');
    await explicit.shutdown();
  });

  it('prunes old records but keeps daily usage and monthly budgets exactly as they were', async () => {
    let now = Date.UTC(2026, 10, 2, 12, 0, 0);
    t = makeTestTollgate({ clock: () => now, retentionDays: 1, budgets: [{ id: 'month', scope: 'monthly', maxUsd: 100, onExceed: 'deny' }] });
    for (let day = 0; day < 5; day++) {
      now = Date.UTC(2026, 10, 2 + day, 12, 0, 0);
      for (let i = 0; i < 3; i++) {
        await t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10 }, (c) => c.setUsage({ input: 1000 + day, output: 10 * i }));
      }
    }
    now = Date.UTC(2026, 10, 20, 12, 0, 0);
    const byDayBefore = await t.tollgate.usage({ by: 'day' });
    const monthBefore = (await t.tollgate.budgetStatus()).find((s) => s.budget.id === 'month');
    expect(byDayBefore).toHaveLength(5);
    expect(monthBefore?.spentUsd).toBeGreaterThan(0);

    const deleted = await t.tollgate.prune();
    expect(deleted).toBe(15);
    expect(await t.tollgate.ledger.records({})).toEqual([]);
    expect(await t.tollgate.usage({ by: 'day' })).toEqual(byDayBefore);
    expect((await t.tollgate.budgetStatus()).find((s) => s.budget.id === 'month')).toEqual(monthBefore);
    // The budget still counts what was pruned: the next call is checked against the same spend.
    expect(await t.tollgate.prune()).toBe(0);
  });

  it('serves /healthz and /v1/status', async () => {
    t = makeTestTollgate();
    await t.tollgate.llm({ model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 1_000_000, output: 0 }));
    const server = await t.tollgate.serve({ port: 0 });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, checks: { pricing: { ok: true }, store: { ok: true } } });
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ sessionCostUsd: 0.15, calls: 1, store: 'memory:' });
    expect(typeof status.uptimeSeconds).toBe('number');
  });
});

describe('run-time options from the config reach the engine and the problems reporter', () => {
  // gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output: 1,000 input tokens cost 150,000 nano-USD, one output token 600.
  const INPUT_1000 = 150_000;
  const PER_OUTPUT = 600;

  it('estimation.inputMargin: the reservation counts the input estimate plus the margin', async () => {
    t = makeTestTollgate({ estimation: { inputMargin: 0.5 }, budgets: [{ scope: 'daily', maxUsd: 10 }] });
    await t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10, inputTokens: 1000 }, (c) => c.setUsage({ input: 1000, output: 10 }));
    expect(t.byName('chat gpt-4o-mini').attributes['tollgate.reserved_usd']).toBeCloseTo((1.5 * INPUT_1000 + 10 * PER_OUTPUT) / 1e9, 12);
  });

  it('estimation.minOutputTokens: an output limit shrunk to fit a cap is used down to it, and below it the call is refused', async () => {
    // Room for 1,000 input tokens and 20 output tokens; the caller sets no max tokens.
    const budgets = [{ scope: 'daily' as const, maxUsd: (INPUT_1000 + 20 * PER_OUTPUT) / 1e9 }];
    t = makeTestTollgate({ estimation: { minOutputTokens: 16 }, budgets });
    expect(await t.tollgate.llm({ model: 'gpt-4o-mini', inputTokens: 1000 }, (c) => c.maxTokens)).toBe(20);
    expect(t.byName('chat gpt-4o-mini').attributes['tollgate.request.output_limit_set']).toBe(20);
    await t.shutdown();
    t = makeTestTollgate({ estimation: { minOutputTokens: 32 }, budgets });
    let ran = false;
    await expect(t.tollgate.llm({ model: 'gpt-4o-mini', inputTokens: 1000 }, () => (ran = true))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(ran).toBe(false);
  });

  it("pricing.unpricedUnderCap: 'ceiling' (default) charges an unpriced model at the dearest prices, 'deny' refuses it", async () => {
    const call = (r: TestTollgate) =>
      r.tollgate.llm({ model: 'no-such-model-xyz', provider: 'openai', maxTokens: 10, inputTokens: 10 }, (c) => c.setUsage({ input: 10, output: 10 }));
    t = makeTestTollgate({ quiet: true, budgets: [{ scope: 'daily', maxUsd: 10 }] });
    await call(t);
    const span = t.byName('chat no-such-model-xyz');
    expect(span.attributes['tollgate.price.source']).toBe('ceiling');
    expect(span.attributes['tollgate.cost.nanos']).toBeGreaterThan(0);
    await t.shutdown();
    t = makeTestTollgate({ quiet: true, pricing: { unpricedUnderCap: 'deny' }, budgets: [{ scope: 'daily', maxUsd: 10 }] });
    await expect(call(t)).rejects.toBeInstanceOf(UnknownModelError);
    expect(t.byName('chat no-such-model-xyz').attributes['tollgate.status']).toBe('denied');
  });

  it('a store failure the call went on without is a store problem and counts tollgate_errors_total{component="ledger"}', async () => {
    const ledger = new MemoryLedger();
    ledger.settle = () => Promise.reject(new Error('disk full'));
    t = makeTestTollgate({ ledger, quiet: true, budgets: [{ scope: 'daily', maxUsd: 10 }] });
    const call = t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10, inputTokens: 10 }, (c) => {
      c.setUsage({ input: 10, output: 10 });
      return 'answer';
    });
    await expect(call).resolves.toBe('answer');
    await t.tollgate.forceFlush();
    expect(t.tollgate.problems.list()).toEqual([expect.objectContaining({ kind: 'store', count: 1 })]);
    const text = await t.tollgate.metrics.metricsText();
    expect(text).toMatch(/^tollgate_errors_total\{component="ledger"\} 1$/m);
    expect(text).toMatch(/^ledger_errors_total 1$/m);
  });

  it('quiet (or TOLLGATE_QUIET) keeps problems off stderr; they are still listed and counted', async () => {
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      // No budget applies: an unpriced model is charged $0, loudly (pricing.unknownModel 'warn').
      const unpriced = (r: TestTollgate) => r.tollgate.llm({ model: 'no-such-model-xyz', provider: 'openai' }, (c) => c.setUsage({ input: 1, output: 1 }));
      for (const options of [{ quiet: true }, { env: { TOLLGATE_QUIET: '1' } }]) {
        t = makeTestTollgate(options);
        expect(t.tollgate.config.quiet).toBe(true);
        await unpriced(t);
        expect(t.tollgate.problems.list().map((p) => p.kind)).toContain('unpriced_model');
        expect(t.tollgate.problems.counts().get('unpriced_model')).toBeGreaterThan(0);
        await t.shutdown();
        t = undefined;
      }
      expect(lines.filter((l) => l.startsWith('tollgate'))).toEqual([]);
      t = makeTestTollgate();
      await unpriced(t);
      expect(lines.filter((l) => l.startsWith('tollgate [unpriced_model]'))).toHaveLength(1);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('budgets shared through one store', () => {
  it('a budget added or removed by one replica applies on the other after a refresh', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { BudgetExceededError } = await import('../src/core/BudgetExceededError.js');
    const store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'tollgate-replicas-')), 'ledger.db')}`;
    const a = makeTestTollgate({ store, budgetRefreshMs: 0 });
    const b = makeTestTollgate({ store, budgetRefreshMs: 20 });
    try {
      const call = (r: TestTollgate) => r.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 1000, inputTokens: 10 }, () => 'ok');
      await expect(call(b)).resolves.toBe('ok');
      await a.tollgate.addBudget({ id: 'freeze', scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' });
      // b re-reads the stored budgets on its own (every 20 ms here, 30 s by default).
      await expect.poll(() => b.tollgate.budgets.list().map((x) => x.id), { timeout: 5000, interval: 10 }).toContain('freeze');
      await expect(call(b)).rejects.toBeInstanceOf(BudgetExceededError);
      await a.tollgate.removeBudget('freeze');
      await expect.poll(() => b.tollgate.budgets.list().map((x) => x.id), { timeout: 5000, interval: 10 }).not.toContain('freeze');
      await expect(call(b)).resolves.toBe('ok');
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it('a refresh keeps config budgets and the ones removed here stay removed', async () => {
    t = makeTestTollgate({ budgetRefreshMs: 0, budgets: [{ id: 'day', scope: 'daily', maxUsd: 5 }, { id: 'all', scope: 'total', maxUsd: 50 }] });
    await t.tollgate.removeBudget('all');
    await t.tollgate.addBudget({ id: 'extra', scope: 'monthly', maxUsd: 9 });
    await t.tollgate.budgets.load();
    expect(t.tollgate.budgets.list().map((x) => x.id).sort()).toEqual(['day', 'extra']);
  });

  it('rejects a negative budgetRefreshMs, naming it', () => {
    expect(() => createTollgate({ configFile: false, env: {}, store: 'memory:', budgetRefreshMs: -1 })).toThrow(/budgetRefreshMs/);
  });
});

describe('store errors at construction', () => {
  it("sqlite.durability 'batched': calls settle at once here, reach the file on forceFlush and on shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-batched-'));
    const path = join(dir, 'ledger.db');
    try {
      t = makeTestTollgate({ store: `sqlite:${path}`, sqlite: { durability: 'batched', flushIntervalMs: 60_000 }, budgets: [{ scope: 'daily', maxUsd: 10 }] });
      const call = () => t!.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10, inputTokens: 10 }, (c) => c.setUsage({ input: 1000, output: 500 }));
      await call();
      await call();
      expect((await t.tollgate.usage({ by: 'model' }))[0]?.calls).toBe(2); // this process: exact at once
      const other = new SqliteLedger({ path });
      try {
        await call();
        await t.tollgate.forceFlush();
        expect((await other.usage({ by: 'model' }))[0]).toMatchObject({ calls: 3, costNanos: 3 * 450_000 });
        await call();
        await t.shutdown();
        t = undefined;
        expect((await other.usage({ by: 'model' }))[0]?.calls).toBe(4);
      } finally {
        await other.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the store and the fix when the SQLite file cannot be created', () => {
    // /etc/hosts is a file: a database cannot live "inside" it.
    expect(() => createTollgate({ configFile: false, env: {}, store: 'sqlite:/etc/hosts/ledger.db', guardFetch: false })).toThrow(ConfigError);
    expect(() => createTollgate({ configFile: false, env: {}, store: 'sqlite:/etc/hosts/ledger.db', guardFetch: false })).toThrow(
      /store: expected a SQLite file tollgate can create and open; opening "sqlite:\/etc\/hosts\/ledger.db" failed: .*Fix: point store \(or TOLLGATE_STORE\) at a writable path/,
    );
  });
});
