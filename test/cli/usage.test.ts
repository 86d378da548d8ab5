import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './buildCli.js';
import { makeCliFixture, standardFixture } from './cliFixture.js';
import type { CliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { InstrumentOpenAIOptions } from '../../instrumentations/openai/index.js';
import type { UsageShowJson } from '../../src/cli/commands/usage.js';
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
import { createTollgate } from '../../src/createTollgate.js';
import { startFakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';

const BASE = Date.now() - 3 * 3_600_000;
const RANGE = ['--since', String(BASE), '--until', String(BASE + 10_000)];

let fx: CliFixture;

beforeAll(async () => {
  await buildCli();
  fx = await standardFixture(BASE);
});

const zero = { cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

describe('tollgate usage show', () => {
  it('prints the groups, totals and budget counters as JSON', async () => {
    const r = await runCli(['usage', 'show', ...RANGE, '--json'], { cwd: fx.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      by: 'model',
      since: BASE,
      until: BASE + 10_000,
      groups: [
        { key: 'claude-sonnet-4', calls: 1, errors: 0, inputTokens: 2000, outputTokens: 300, ...zero, cacheReadTokens: 500, costNanos: 9_000_000, costUsd: 0.009 },
        { key: 'gpt-4o', calls: 1, errors: 0, inputTokens: 1000, outputTokens: 200, ...zero, costNanos: 4_500_000, costUsd: 0.0045 },
        { key: 'gpt-4o-mini', calls: 1, errors: 1, inputTokens: 500, outputTokens: 100, ...zero, costNanos: 150_000, costUsd: 0.00015 },
        { key: '', calls: 1, errors: 0, inputTokens: 0, outputTokens: 0, ...zero, costNanos: 0, costUsd: 0 },
      ],
      total: { calls: 4, errors: 1, inputTokens: 3500, outputTokens: 600, ...zero, cacheReadTokens: 500, costNanos: 13_650_000, costUsd: 0.01365 },
      budgets: [
        // total budgets count everything ever settled, the 40-day-old record included
        { id: 'all-time', scope: 'total', key: 'global', action: 'deny', spentUsd: 0.01465, reservedUsd: 0, limitUsd: 1, remainingUsd: 0.98535 },
        // per-task counters of the tasks active in the range (a CLI process has seen no task ids itself)
        { id: 'per-task', scope: 'task', key: 'T-1', action: 'warn', spentUsd: 0.0135, reservedUsd: 0, limitUsd: 0.01, remainingUsd: 0 },
        { id: 'per-task', scope: 'task', key: 'T-2', action: 'warn', spentUsd: 0.00015, reservedUsd: 0, limitUsd: 0.01, remainingUsd: 0.00985 },
      ],
    });
  });

  it('is what bare `tollgate usage` runs, flags included', async () => {
    const bare = await runCli(['usage', ...RANGE, '--json'], { cwd: fx.dir });
    expect(bare.stderr).toBe('');
    expect(bare.code).toBe(0);
    const show = await runCli(['usage', 'show', ...RANGE, '--json'], { cwd: fx.dir });
    expect(bare.stdout).toBe(show.stdout);
    const table = await runCli(['usage'], { cwd: fx.dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Usage by model, since /);
  });

  it('prints a table per group and the remaining budgets below it', async () => {
    const r = await runCli(['usage', 'show', ...RANGE, '--by', 'task'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    const at = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    expect(r.stdout).toBe(
      [
        `Usage by task, from ${at(BASE)} UTC to ${at(BASE + 10_000)} UTC`,
        '┌───────┬───────┬────────┬──────────────┬───────────────┬────────────┐',
        '│ Task  │ Calls │ Errors │ Input tokens │ Output tokens │ Cost (USD) │',
        '├───────┼───────┼────────┼──────────────┼───────────────┼────────────┤',
        '│ T-1   │     2 │      0 │        3,000 │           500 │    $0.0135 │',
        '│ T-2   │     2 │      1 │          500 │           100 │    $0.0002 │',
        '│ Total │     4 │      1 │        3,500 │           600 │    $0.0137 │',
        '└───────┴───────┴────────┴──────────────┴───────────────┴────────────┘',
        '',
        'Budgets',
        '┌──────────┬───────┬────────┬─────────┬──────────┬─────────┬───────────┬────────┐',
        '│ Budget   │ Scope │ Key    │   Spent │ Reserved │   Limit │ Remaining │ Action │',
        '├──────────┼───────┼────────┼─────────┼──────────┼─────────┼───────────┼────────┤',
        '│ all-time │ total │ global │ $0.0147 │  $0.0000 │ $1.0000 │   $0.9854 │ deny   │',
        '│ per-task │ task  │ T-1    │ $0.0135 │  $0.0000 │ $0.0100 │   $0.0000 │ warn   │',
        '│ per-task │ task  │ T-2    │ $0.0002 │  $0.0000 │ $0.0100 │   $0.0099 │ warn   │',
        '└──────────┴───────┴────────┴─────────┴──────────┴─────────┴───────────┴────────┘',
        '',
      ].join('\n'),
    );
  });

  it('defaults to the last 24 h, so the 40-day-old record is not shown', async () => {
    const r = await runCli(['usage', 'show', '--by', 'task', '--json'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { since: number; until: null; groups: { key: string }[] };
    expect(json.groups.map((g) => g.key)).toEqual(['T-1', 'T-2']);
    expect(json.until).toBeNull();
    expect(Date.now() - json.since).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.now() - json.since).toBeLessThan(86_400_000 + 60_000);
  });

  it('accepts durations and ISO dates; --since 0 reads every record', async () => {
    const r = await runCli(['usage', 'show', '--since', '0', '--by', 'day', '--json'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { groups: { key: string; costNanos: number }[] };
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    expect(json.groups.map((g) => g.costNanos).reduce((a, b) => a + b, 0)).toBe(14_650_000);
    expect(json.groups[0]).toMatchObject({ key: day(Date.now() - 40 * 86_400_000), costNanos: 1_000_000 });

    const iso = await runCli(['usage', 'show', '--since', new Date(BASE).toISOString(), '--until', '1h', '--by', 'provider', '--json'], { cwd: fx.dir });
    expect(iso.code).toBe(0);
    expect((JSON.parse(iso.stdout) as { groups: { key: string }[] }).groups.map((g) => g.key)).toEqual(['anthropic', 'openai', '']);
  });

  it('groups by UTC month with --by month, in the JSON and the table', async () => {
    const r = await runCli(['usage', 'show', '--since', '0', '--by', 'month', '--json'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { by: string; groups: { key: string; costNanos: number }[] };
    expect(json.by).toBe('month');
    const month = (ms: number): string => new Date(ms).toISOString().slice(0, 7);
    const expectedKeys = [...new Set([month(Date.now() - 40 * 86_400_000), month(BASE), month(Date.now())])].sort();
    expect(json.groups.map((g) => g.key)).toEqual(expect.arrayContaining([month(Date.now() - 40 * 86_400_000), month(BASE)]));
    expect(json.groups.map((g) => g.key).every((k) => expectedKeys.includes(k))).toBe(true);
    expect(json.groups.map((g) => g.costNanos).reduce((a, b) => a + b, 0)).toBe(14_650_000);

    const table = await runCli(['usage', 'show', '--since', '0', '--by', 'month'], { cwd: fx.dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Month (UTC)');
  });

  it('groups by session, agent, operation and status', async () => {
    const keys = async (by: string): Promise<string[]> => {
      const r = await runCli(['usage', 'show', ...RANGE, '--by', by, '--json'], { cwd: fx.dir });
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { groups: { key: string }[] }).groups.map((g) => g.key);
    };
    expect(await keys('session')).toEqual(['S-1', '']);
    expect(await keys('agent')).toEqual(['']);
    expect(await keys('operation')).toEqual(['chat', 'execute_tool']);
    expect(await keys('status')).toEqual(['ok', 'error']);
  });

  it('exits 2 naming the flag for a bad --since, --until or --by', async () => {
    const since = await runCli(['usage', 'show', '--since', 'yesterday'], { cwd: fx.dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toBe('error: --since: expected a duration (30m, 24h, 7d), an ISO date (2026-11-23) or epoch ms; got "yesterday"\n');
    expect(since.stdout).toBe('');

    const until = await runCli(['usage', 'show', '--until', '5 minutes'], { cwd: fx.dir });
    expect(until.code).toBe(2);
    expect(until.stderr).toContain('error: --until:');

    const reversed = await runCli(['usage', 'show', '--since', '1h', '--until', '2h'], { cwd: fx.dir });
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(/^error: --since \(.*\) must be before --until/);

    const by = await runCli(['usage', 'show', '--by', 'colour'], { cwd: fx.dir });
    expect(by.code).toBe(2);
    expect(by.stderr).toBe(
      "error: option '--by <field>' argument 'colour' is invalid. unknown usage grouping \"colour\"; use one of model, provider, task, session, agent, day, month, operation, status, user, team, apiKey, tag, metadata.<key>\n",
    );
  });

  it('reads the store named by --config and by TOLLGATE_STORE', async () => {
    const elsewhere = makeCliFixture();
    const viaConfig = await runCli(['--config', fx.configPath, 'usage', 'show', ...RANGE, '--json'], { cwd: elsewhere.dir });
    expect(viaConfig.code).toBe(0);
    expect((JSON.parse(viaConfig.stdout) as { total: { calls: number } }).total.calls).toBe(4);

    const viaEnv = await runCli(['usage', 'show', ...RANGE, '--json'], { cwd: makeCliFixture().dir, env: { TOLLGATE_STORE: `sqlite:${fx.dbPath}` } });
    expect(viaEnv.code).toBe(0);
    expect((JSON.parse(viaEnv.stdout) as { total: { calls: number }; budgets: unknown[] }).total.calls).toBe(4);
    expect((JSON.parse(viaEnv.stdout) as { budgets: unknown[] }).budgets).toEqual([]);
  });

  it('exits 2 with the config error for a broken config file', async () => {
    const broken = makeCliFixture('[[budgets]]\nscope = "fortnightly"\nmaxUsd = 1\n');
    const r = await runCli(['usage', 'show'], { cwd: broken.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tollgate: .*tollgate\.toml.*budgets\[0\]\.scope/);
  });
});

describe("seed 000's spellings: tollgate usage pricing | budgets | estimate", () => {
  it('print exactly what the top-level commands print', async () => {
    const pairs: [string[], string[]][] = [
      [['usage', 'pricing', '--json'], ['pricing', '--json']],
      [['usage', 'pricing', '--provider', 'anthropic'], ['pricing', '--provider', 'anthropic']],
      [['usage', 'budgets', '--json'], ['budgets', 'list', '--json']],
      [['usage', 'budgets'], ['budgets', 'list']],
      [['usage', 'estimate', 'gpt-4o', '1000', '500', '--json'], ['estimate', 'gpt-4o', '1000', '500', '--json']],
      [['--json', 'usage', 'estimate', 'claude-sonnet-4', '2000', '300'], ['estimate', 'claude-sonnet-4', '2000', '300', '--json']],
    ];
    for (const [alias, canonical] of pairs) {
      const [a, c] = await Promise.all([runCli(alias, { cwd: fx.dir }), runCli(canonical, { cwd: fx.dir })]);
      expect(a.code, alias.join(' ')).toBe(0);
      expect(a.stderr).toBe('');
      expect(a.stdout, alias.join(' ')).toBe(c.stdout);
      expect(a.stdout.length).toBeGreaterThan(0);
    }
    const budgets = JSON.parse((await runCli(['usage', 'budgets', '--json'], { cwd: fx.dir })).stdout) as unknown[];
    expect(budgets.length).toBeGreaterThan(0);
  });
});

describe('tollgate usage and budgets by user, team, API key and tag (store written by the real openai client)', () => {
  const RAW_KEY = 'sk-cli-attribution-secret';
  let att: CliFixture;

  beforeAll(async () => {
    att = makeCliFixture(
      [
        '[[budgets]]',
        'scope = "daily"',
        'maxUsd = 0.015',
        'where = { team = "search" }',
        '[[budgets]]',
        'scope = "daily"',
        'per = "user"',
        'maxUsd = 1',
        '',
      ].join('\n'),
    );
    ensureContextManager();
    const fake = await startFakeOpenAI({ outputTokens: 900 });
    const tollgate = createTollgate({ configFile: att.configPath, env: {}, guardFetch: false });
    try {
      const client = (attribution: InstrumentOpenAIOptions['attribution']): OpenAI =>
        instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate, { attribution });
      const search = client({ team: 'search', apiKey: RAW_KEY, tags: ['batch'] });
      const ads = client({ team: 'ads', tags: ['batch', 'eval'], metadata: { env: 'prod' } });
      const chat = (c: OpenAI, user: string): Promise<unknown> =>
        c.chat.completions.create({ model: 'gpt-4o', max_tokens: 1000, user, messages: [{ role: 'user', content: 'hello' }] });
      await chat(search, 'alice');
      await expect(chat(search, 'bob')).rejects.toMatchObject({ name: 'BudgetExceededError', key: 'team=search' });
      await chat(ads, 'bob');
      await chat(ads, 'carol');
    } finally {
      await tollgate.shutdown();
      await fake.close();
    }
  });

  const groups = async (args: string[]): Promise<[string, number][]> => {
    const r = await runCli(['usage', 'show', '--since', '0', ...args, '--json'], { cwd: att.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as UsageShowJson).groups.map((g) => [g.key, g.calls]);
  };

  it('groups by team and by user with --where team=search', async () => {
    expect(await groups(['--by', 'team'])).toEqual([['ads', 2], ['search', 2]]);
    expect(await groups(['--by', 'user', '--where', 'team=search'])).toEqual([['alice', 1], ['bob', 1]]);
  });

  it('groups by API key hash (filtered by the key itself), by tag and by metadata.<key>', async () => {
    expect(await groups(['--by', 'apiKey', '--where', `apiKey=${RAW_KEY}`])).toEqual([[apiKeyHash(RAW_KEY), 2]]);
    expect(await groups(['--by', 'tag', '--where', 'user=bob'])).toEqual([['batch', 2], ['eval', 1]]);
    expect(await groups(['--by', 'metadata.env'])).toEqual([['prod', 2], ['', 2]]);
  });

  it('prints the API key column as hashes, and exits 2 for a --where on an unknown field', async () => {
    const table = await runCli(['usage', 'show', '--since', '0', '--by', 'apiKey'], { cwd: att.dir });
    expect(table.stdout).toContain('API key (hash)');
    expect(table.stdout).toContain(apiKeyHash(RAW_KEY));
    expect(table.stdout).not.toContain(RAW_KEY);
    const bad = await runCli(['usage', 'show', '--where', 'colour=red'], { cwd: att.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected field=value with field one of provider');
  });

  it('shows the where-budget counter and the per-user counters of the users with spend', async () => {
    const r = await runCli(['usage', 'show', '--since', '0', '--json'], { cwd: att.dir });
    const budgets = (JSON.parse(r.stdout) as UsageShowJson).budgets;
    expect(budgets.find((b) => b.id === 'daily:team=search')).toMatchObject({ key: 'team=search', limitUsd: 0.015 });
    // The per-user counters of the users with spend in the range (a CLI process has seen none itself).
    expect(budgets.filter((b) => b.id === 'daily:per=user').map((b) => b.key)).toEqual(['user=alice', 'user=bob', 'user=carol']);
    expect(budgets.find((b) => b.key === 'user=bob')?.spentUsd).toBeCloseTo(0.009, 3);
  });

  it('adds a per-user budget for one team from the command line, and refuses per on a task budget', async () => {
    const added = await runCli(['budgets', 'add', '--scope', 'daily', '--max-usd', '0.5', '--where', 'team=ads', '--per', 'user', '--json'], { cwd: att.dir });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'daily:team=ads,per=user', where: { team: 'ads' }, per: 'user' });
    const wrong = await runCli(['budgets', 'add', '--scope', 'task', '--max-usd', '1', '--per', 'user'], { cwd: att.dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--per applies to daily, weekly, monthly and total budgets/);
    expect(readFileSync(att.dbPath).includes(Buffer.from(RAW_KEY))).toBe(false);
  });
});
