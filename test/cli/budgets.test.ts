import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { mainRedisStatus, MAIN_REDIS_HOST, MAIN_REDIS_PORT, redisServerStatus, startRedisServer } from '../helpers/redisServer.js';
import { buildCli } from './buildCli.js';
import { makeCliFixture, record, seedLedger } from './cliFixture.js';
import { runCli } from './runCli.js';

const CONFIG_BUDGET_TOML = `
[[budgets]]
id = "daily-cap"
scope = "daily"
maxUsd = 5
`;
const DEFAULT_THRESHOLDS = [0.5, 0.8, 1];
const dailyCap = { id: 'daily-cap', scope: 'daily', maxUsd: 5, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS };

const redis = await mainRedisStatus();
const redisServers = redisServerStatus();

beforeAll(async () => {
  await buildCli();
});

async function listJson(cwd: string, env?: Record<string, string>): Promise<unknown[]> {
  const r = await runCli(['budgets', 'list', '--json'], { cwd, ...(env !== undefined ? { env } : {}) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

describe('tollgate budgets', () => {
  it('lists the config budgets', async () => {
    const fx = makeCliFixture(CONFIG_BUDGET_TOML);
    expect(await listJson(fx.dir)).toEqual([{ ...dailyCap, source: 'config' }]);

    const table = await runCli(['budgets', 'list'], { cwd: fx.dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      [
        '┌───────────┬───────┬─────────┬────────┬──────────┬────────────┬──────────────┬────────┐',
        '│ Id        │ Scope │   Limit │ Action │ Window   │ Applies to │ Thresholds   │ Source │',
        '├───────────┼───────┼─────────┼────────┼──────────┼────────────┼──────────────┼────────┤',
        '│ daily-cap │ daily │ $5.0000 │ deny   │ calendar │ all calls  │ 50% 80% 100% │ config │',
        '└───────────┴───────┴─────────┴────────┴──────────┴────────────┴──────────────┴────────┘',
        '',
      ].join('\n'),
    );
  });

  it('says how to add one when there is none', async () => {
    const fx = makeCliFixture();
    const r = await runCli(['budgets', 'list'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`No budgets (config or sqlite:${fx.dbPath}). Add one: tollgate budgets add --scope daily --max-usd 20\n`);
    expect(await listJson(fx.dir)).toEqual([]);
  });

  it('adds a budget that a later process lists from the store, and removes it', async () => {
    const fx = makeCliFixture(CONFIG_BUDGET_TOML);
    const add = await runCli(
      ['budgets', 'add', '--scope', 'task', '--max-usd', '0.5', '--on-exceed', 'fallback', '--fallback-model', 'gpt-4o-mini', '--provider', 'openai', '--thresholds', '0.9', '--json'],
      { cwd: fx.dir },
    );
    expect(add.code).toBe(0);
    const added = {
      id: 'task:provider=openai,onExceed=fallback',
      scope: 'task',
      maxUsd: 0.5,
      onExceed: 'fallback',
      window: 'calendar',
      thresholds: [0.9],
      fallbackModel: 'gpt-4o-mini',
      provider: 'openai',
    };
    expect(JSON.parse(add.stdout)).toEqual(added);
    // running processes re-read stored budgets every budgetRefreshMs: the note says so
    expect(add.stderr).toBe('note: running tollgate processes sharing this store pick it up within their budgetRefreshMs (default 30 s).\n');

    expect(await listJson(fx.dir)).toEqual([
      { ...dailyCap, source: 'config' },
      { ...added, source: 'store' },
    ]);
    const table = await runCli(['budgets', 'list'], { cwd: fx.dir });
    expect(table.stdout).toContain(
      '│ task:provider=openai,onExceed=fallback │ task  │ $0.5000 │ fallback → gpt-4o-mini │ -        │ provider=openai │ 90%          │ store  │',
    );

    const remove = await runCli(['budgets', 'remove', added.id, '--json'], { cwd: fx.dir });
    expect(remove.code).toBe(0);
    expect(JSON.parse(remove.stdout)).toEqual({ removed: added.id, store: `sqlite:${fx.dbPath}`, configBudgetApplies: false });
    expect(await listJson(fx.dir)).toEqual([{ ...dailyCap, source: 'config' }]);
  });

  it('a stored budget with a config budget\'s id replaces it until removed', async () => {
    const fx = makeCliFixture(CONFIG_BUDGET_TOML);
    const add = await runCli(['budgets', 'add', '--id', 'daily-cap', '--scope', 'daily', '--max-usd', '8', '--window', 'rolling'], { cwd: fx.dir });
    expect(add.code).toBe(0);
    expect(add.stdout).toBe(`Added budget "daily-cap" (daily, $8.0000, deny) to sqlite:${fx.dbPath}.\n`);
    expect(await listJson(fx.dir)).toEqual([{ ...dailyCap, maxUsd: 8, window: 'rolling', source: 'store' }]);

    const remove = await runCli(['budgets', 'remove', 'daily-cap'], { cwd: fx.dir });
    expect(remove.code).toBe(0);
    expect(remove.stdout).toBe(`Removed budget "daily-cap" from sqlite:${fx.dbPath}.\nThe configuration's budget "daily-cap" applies again.\n`);
    expect(await listJson(fx.dir)).toEqual([{ ...dailyCap, source: 'config' }]);
  });

  it('a budget added after calls counts what they spent in its window, and says how much', async () => {
    const fx = makeCliFixture();
    const now = Date.now();
    const today = now - (now % 86_400_000);
    await seedLedger(fx.dbPath, [], [
      record({ id: 'a', time: Math.max(today, now - 60_000), costNanos: 700_000_000 }),
      record({ id: 'b', time: today - 60_000, costNanos: 900_000_000 }),
    ]);
    const add = await runCli(['budgets', 'add', '--id', 'today', '--scope', 'daily', '--max-usd', '1'], { cwd: fx.dir });
    expect(add.code).toBe(0);
    expect(add.stdout).toBe(`Added budget "today" (daily, $1.0000, deny) to sqlite:${fx.dbPath}.\nIt counts $0.7000 already spent in its current window.\n`);
    const ledger = new SqliteLedger({ path: fx.dbPath });
    try {
      const key = `today|global|${new Date(now).toISOString().slice(0, 10)}`;
      expect((await ledger.bucketStates([{ key, budgetId: 'today', limitNanos: 1e9, enforce: true }], now))[0]?.spentNanos).toBe(700_000_000);
    } finally {
      await ledger.close();
    }
  });

  it('works against the store named by TOLLGATE_STORE', async () => {
    const fx = makeCliFixture();
    const other = makeCliFixture();
    const env = { TOLLGATE_STORE: `sqlite:${other.dbPath}` };
    const add = await runCli(['budgets', 'add', '--scope', 'monthly', '--max-usd', '100', '--json'], { cwd: fx.dir, env });
    expect(add.code).toBe(0);
    expect(await listJson(fx.dir, env)).toEqual([{ id: 'monthly', scope: 'monthly', maxUsd: 100, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS, source: 'store' }]);
    // the config file's own store has no budgets
    expect(await listJson(fx.dir)).toEqual([]);
    expect(await listJson(other.dir)).toEqual([{ id: 'monthly', scope: 'monthly', maxUsd: 100, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS, source: 'store' }]);
  });

  it('exits 2 with the engine\'s message for an invalid budget', async () => {
    const fx = makeCliFixture();
    const cases: [string[], string][] = [
      [['--scope', 'daily', '--max-usd', '-1'], 'error: invalid budget: --max-usd must be a number of USD greater than 0 and at most 1e15; got -1\n'],
      [['--scope', 'daily', '--max-usd', 'five'], 'error: invalid budget: --max-usd must be a number of USD greater than 0 and at most 1e15; got "five"\n'],
      [['--scope', 'fortnightly', '--max-usd', '1'], 'error: invalid budget: --scope must be one of request, task, session, agent, daily, weekly, monthly, total; got "fortnightly"\n'],
      [['--scope', 'daily', '--max-usd', '1', '--on-exceed', 'fallback'], 'error: invalid budget: --fallback-model is required when --on-exceed is fallback (the model to use instead)\n'],
      [['--scope', 'daily', '--max-usd', '1', '--on-exceed', 'block'], 'error: invalid budget: --on-exceed must be one of deny, warn, fallback; got "block"\n'],
      [['--scope', 'daily', '--max-usd', '1', '--window', 'weekly'], 'error: invalid budget: --window must be \'calendar\' or \'rolling\'; got "weekly"\n'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['budgets', 'add', ...flags], { cwd: fx.dir });
      expect(r.stderr).toBe(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    const missing = await runCli(['budgets', 'add', '--scope', 'daily'], { cwd: fx.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: required option '--max-usd <usd>' not specified\n");
    expect(await listJson(fx.dir)).toEqual([]);
  });

  it('exits 1 removing an unknown id or a budget defined in the config', async () => {
    const fx = makeCliFixture(CONFIG_BUDGET_TOML);
    const unknown = await runCli(['budgets', 'remove', 'nope'], { cwd: fx.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(`tollgate: no budget "nope" in sqlite:${fx.dbPath} (see tollgate budgets list).\n`);

    const fromConfig = await runCli(['budgets', 'remove', 'daily-cap', '--json'], { cwd: fx.dir });
    expect(fromConfig.code).toBe(1);
    expect(fromConfig.stdout).toBe('');
    expect(fromConfig.stderr).toBe(
      `tollgate: budget "daily-cap" is defined in the configuration (config file or TOLLGATE_* environment), not in sqlite:${fx.dbPath}; remove it there.\n`,
    );
  });

  it.runIf(redis.run)('works against a Redis store: a budget added by one process is listed and removed by others', async () => {
    // db 11 with the default key prefix (the CLI has no prefix flag); the budget only applies to one unique task id
    const url = `redis://${MAIN_REDIS_HOST}:${MAIN_REDIS_PORT}/11`;
    const env = { TOLLGATE_STORE: url };
    const cwd = makeCliFixture().dir;
    const id = `cli-test-${randomUUID()}`;
    try {
      const add = await runCli(['budgets', 'add', '--id', id, '--scope', 'task', '--key', id, '--max-usd', '0.25', '--json'], { cwd, env });
      expect(add.stderr).toContain('note:');
      expect(add.code).toBe(0);
      const budget = { id, scope: 'task', maxUsd: 0.25, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS, key: id };
      expect(JSON.parse(add.stdout)).toEqual(budget);
      expect((await listJson(cwd, env)).filter((b) => (b as { id: string }).id === id)).toEqual([{ ...budget, source: 'store' }]);
      const remove = await runCli(['budgets', 'remove', id, '--json'], { cwd, env });
      expect(remove.code).toBe(0);
      expect(JSON.parse(remove.stdout)).toEqual({ removed: id, store: url, configBudgetApplies: false });
      expect((await listJson(cwd, env)).filter((b) => (b as { id: string }).id === id)).toEqual([]);
    } finally {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      await client.hdel('tollgate:budgets', id);
      await client.quit();
    }
  });

  it('exits 1 naming the store when it cannot be reached', async () => {
    const r = await runCli(['budgets', 'list'], { env: { TOLLGATE_STORE: 'redis://127.0.0.1:1/0' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tollgate: cannot open the store redis:\/\/127\.0\.0\.1:1\/0: .*\(tollgate doctor checks the setup\)\n$/);
  });
});

describe('tollgate budgets: money beyond $9M', { timeout: 120_000 }, () => {
  it('adds and lists budgets of $10M and $1T, from the config and the store', async () => {
    const fx = makeCliFixture(`
[[budgets]]
id = "trillion"
scope = "total"
maxUsd = 1e12
`);
    const add = await runCli(['budgets', 'add', '--id', 'ten-million', '--scope', 'daily', '--max-usd', '1e7'], { cwd: fx.dir });
    expect(add.code).toBe(0);
    expect(add.stdout).toBe(`Added budget "ten-million" (daily, $10000000.0000, deny) to sqlite:${fx.dbPath}.\n`);
    expect(await listJson(fx.dir)).toEqual([
      { id: 'trillion', scope: 'total', maxUsd: 1e12, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS, source: 'config' },
      { id: 'ten-million', scope: 'daily', maxUsd: 1e7, onExceed: 'deny', window: 'calendar', thresholds: DEFAULT_THRESHOLDS, source: 'store' },
    ]);
    const table = await runCli(['budgets', 'list'], { cwd: fx.dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('│ $1000000000000.0000 │');
    for (const args of [['usage', 'show'], ['report']]) {
      const r = await runCli(args, { cwd: fx.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('refuses --max-usd above 1e15 (or not a positive number) with exit 2, and stores nothing', async () => {
    const fx = makeCliFixture();
    for (const value of ['1e308', 'Infinity', '-5']) {
      const r = await runCli(['budgets', 'add', '--scope', 'daily', '--max-usd', value], { cwd: fx.dir });
      expect(r.code, value).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: invalid budget: --max-usd must be a number of USD greater than 0 and at most 1e15; got /);
    }
    expect(await listJson(fx.dir)).toEqual([]);
    const config = makeCliFixture('[[budgets]]\nscope = "daily"\nmaxUsd = 1e308\n');
    const r = await runCli(['budgets', 'list'], { cwd: config.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('budgets[0].maxUsd');
    expect(r.stderr).toContain('expected at most 1e15 USD');
  });

  it('goes on when the store already holds an out-of-range budget: list, usage and report exit 0 and name it', async () => {
    const fx = makeCliFixture();
    const ledger = new SqliteLedger({ path: fx.dbPath });
    await ledger.putBudget({ id: 'broken', spec: { scope: 'daily', maxUsd: 1e308, onExceed: 'deny' } });
    await ledger.putBudget({ id: 'daily', spec: { scope: 'daily', maxUsd: 5, onExceed: 'deny' } });
    await ledger.close();
    for (const args of [['budgets', 'list', '--json'], ['usage', 'show'], ['report']]) {
      const r = await runCli(args, { cwd: fx.dir });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toContain('ignoring the invalid budget "broken" stored in the ledger');
      expect(r.stderr).toContain('at most 1e15; got 1e+308');
      if (args[0] === 'budgets') expect((JSON.parse(r.stdout) as { id: string }[]).map((b) => b.id)).toEqual(['daily']);
    }
    const removed = await runCli(['budgets', 'remove', 'broken'], { cwd: fx.dir });
    expect(removed.code).toBe(0);
    expect((await runCli(['budgets', 'list'], { cwd: fx.dir })).stderr).toBe('');
  });

  it.runIf(redisServers.run)('does the same on a Redis store', async () => {
    const server = await startRedisServer();
    try {
      const env = { TOLLGATE_STORE: server.url };
      const cwd = makeCliFixture().dir;
      expect((await runCli(['budgets', 'add', '--scope', 'total', '--max-usd', '1e308'], { cwd, env })).code).toBe(2);
      expect((await runCli(['budgets', 'add', '--id', 'trillion', '--scope', 'total', '--max-usd', '1e12'], { cwd, env })).code).toBe(0);
      const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
      expect(await client.hkeys('tollgate:budgets')).toEqual(['trillion']);
      await client.hset('tollgate:budgets', 'broken', JSON.stringify({ scope: 'daily', maxUsd: 1e308 }));
      await client.quit();
      for (const args of [['budgets', 'list', '--json'], ['usage', 'show'], ['report']]) {
        const r = await runCli(args, { cwd, env });
        expect(r.code, args.join(' ')).toBe(0);
        expect(r.stderr).toContain('ignoring the invalid budget "broken"');
        if (args[0] === 'budgets') expect((JSON.parse(r.stdout) as { id: string; maxUsd: number }[]).map((b) => [b.id, b.maxUsd])).toEqual([['trillion', 1e12]]);
      }
    } finally {
      await server.kill();
    }
  });
});
