import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './buildCli.js';
import { standardFixture } from './cliFixture.js';
import type { CliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';

const BASE = Date.now() - 3 * 3_600_000;
const RANGE = ['--since', String(BASE), '--until', String(BASE + 10_000)];
const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

let fx: CliFixture;

beforeAll(async () => {
  await buildCli();
  fx = await standardFixture(BASE);
  writeFileSync(fx.configPath, `${readFileSync(fx.configPath, 'utf8')}\n[rateLimits.openai]\nrpm = 60\n`);
});

const noActivity = { toolCalls: 0, memoryOps: 0, contractChecks: 0 };
const zero = { cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

describe('tollgate report', () => {
  it('renders the markdown spend report: session, last 24 h, providers, models, top tasks, budgets, rate limits, events', async () => {
    const r = await runCli(['report', ...RANGE, '--session', 'S-1', '--top', '1'], { cwd: fx.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [title, blank, generated, ...rest] = r.stdout.split('\n');
    expect([title, blank]).toEqual(['# tollgate spend report', '']);
    expect(generated).toMatch(new RegExp(`^Generated \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC · from ${utc(BASE)} to ${utc(BASE + 10_000)}$`));
    expect(rest.join('\n')).toBe(`
## Session spend

Session \`S-1\`: $0.0135 over 2 calls.

## Last 24 h

| Cost | Calls | Input tokens | Output tokens |
| ---: | ---: | ---: | ---: |
| $0.0137 | 3 | 3,500 | 600 |

## Per provider

| Provider | Calls | Errors | Input tokens | Output tokens | Cost |
| --- | ---: | ---: | ---: | ---: | ---: |
| anthropic | 1 | 0 | 2,000 | 300 | $0.0090 |
| openai | 2 | 1 | 1,500 | 300 | $0.0047 |
| **Total** | **3** | **1** | **3,500** | **600** | **$0.0137** |

## Per model

| Model | Calls | Errors | Input tokens | Output tokens | Cost |
| --- | ---: | ---: | ---: | ---: | ---: |
| claude-sonnet-4 | 1 | 0 | 2,000 | 300 | $0.0090 |
| gpt-4o | 1 | 0 | 1,000 | 200 | $0.0045 |
| gpt-4o-mini | 1 | 1 | 500 | 100 | $0.0002 |
| **Total** | **3** | **1** | **3,500** | **600** | **$0.0137** |

## Top tasks

| Task | Model calls | Tool calls | Memory ops | Contract checks | Errors | Input tokens | Output tokens | Cost |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| T-1 | 2 | 0 | 0 | 0 | 0 | 3,000 | 500 | $0.0135 |

## Budgets

| Budget | Scope | Filter | Key | Spent | Limit | Remaining | Used | Action |
| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |
| all-time | total | all calls | global | $0.0147 | $1.0000 | $0.9854 | 1.5% | deny |
| per-task | task | all calls | T-1 | $0.0135 | $0.0100 | $0.0000 | 135% | warn |
| per-task | task | all calls | T-2 | $0.0002 | $0.0100 | $0.0099 | 1.5% | warn |

## Rate limits

| Provider | Requests / min | Tokens / min | Waiting | Window frees at |
| --- | ---: | ---: | ---: | --- |
| openai | 0 / 60 | 0 / no limit | 0 | — |

## Events

| Warned | Fallbacks | Denied |
| ---: | ---: | ---: |
| 1 | 1 | 0 |
`);
  });

  it('prints the same data as JSON', async () => {
    const before = Date.now();
    const r = await runCli(['report', '--format', 'json', ...RANGE, '--session', 'S-1'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown> & { generatedAt: number };
    expect(json.generatedAt).toBeGreaterThanOrEqual(before);
    expect(json.generatedAt).toBeLessThanOrEqual(Date.now());
    expect(json).toEqual({
      generatedAt: json.generatedAt,
      since: BASE,
      until: BASE + 10_000,
      last24h: { costUsd: 0.01365, calls: 3, inputTokens: 3500, outputTokens: 600 },
      byProvider: [
        { key: 'anthropic', calls: 1, errors: 0, inputTokens: 2000, outputTokens: 300, ...zero, cacheReadTokens: 500, costNanos: 9_000_000, costUsd: 0.009 },
        { key: 'openai', calls: 2, errors: 1, inputTokens: 1500, outputTokens: 300, ...zero, costNanos: 4_650_000, costUsd: 0.00465 },
      ],
      byModel: [
        { key: 'claude-sonnet-4', calls: 1, errors: 0, inputTokens: 2000, outputTokens: 300, ...zero, cacheReadTokens: 500, costNanos: 9_000_000, costUsd: 0.009 },
        { key: 'gpt-4o', calls: 1, errors: 0, inputTokens: 1000, outputTokens: 200, ...zero, costNanos: 4_500_000, costUsd: 0.0045 },
        { key: 'gpt-4o-mini', calls: 1, errors: 1, inputTokens: 500, outputTokens: 100, ...zero, costNanos: 150_000, costUsd: 0.00015 },
      ],
      topTasks: [
        // model calls apart from the tool call of T-2
        { key: 'T-1', calls: 2, errors: 0, inputTokens: 3000, outputTokens: 500, ...zero, cacheReadTokens: 500, costNanos: 13_500_000, costUsd: 0.0135, ...noActivity },
        { key: 'T-2', calls: 1, errors: 1, inputTokens: 500, outputTokens: 100, ...zero, costNanos: 150_000, costUsd: 0.00015, ...noActivity, toolCalls: 1 },
      ],
      budgets: [
        { id: 'all-time', scope: 'total', key: 'global', spentUsd: 0.01465, limitUsd: 1, remainingUsd: 0.98535, action: 'deny' },
        { id: 'per-task', scope: 'task', key: 'T-1', spentUsd: 0.0135, limitUsd: 0.01, remainingUsd: 0, action: 'warn' },
        { id: 'per-task', scope: 'task', key: 'T-2', spentUsd: 0.00015, limitUsd: 0.01, remainingUsd: 0.00985, action: 'warn' },
      ],
      rateLimits: [{ provider: 'openai', rpm: { used: 0, limit: 60 }, tpm: { used: 0, limit: null }, resetAt: null, waiting: 0 }],
      events: { warned: 1, fallbacks: 1, denied: 0 },
      session: { id: 'S-1', costUsd: 0.0135, calls: 2 },
    });
  });

  it('exports CSV grouped by --by (default model) with exact costs, for accounting', async () => {
    const byProvider = await runCli(['report', '--format', 'csv', ...RANGE, '--by', 'provider'], { cwd: fx.dir });
    expect(byProvider.code).toBe(0);
    expect(byProvider.stdout).toBe(
      'provider,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd\r\n' +
        'anthropic,1,0,2000,300,500,0,0,0.009000000\r\n' +
        'openai,2,1,1500,300,0,0,0,0.004650000\r\n' +
        ',1,0,0,0,0,0,0,0.000000000\r\n',
    );
    const byModel = await runCli(['report', '--format', 'csv', '--since', '0'], { cwd: fx.dir });
    expect(byModel.code).toBe(0);
    expect(byModel.stdout).toBe(
      'model,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd\r\n' +
        'claude-sonnet-4,1,0,2000,300,500,0,0,0.009000000\r\n' +
        'gpt-4o,2,0,1100,210,0,0,0,0.005500000\r\n' +
        'gpt-4o-mini,1,1,500,100,0,0,0,0.000150000\r\n' +
        ',1,0,0,0,0,0,0,0.000000000\r\n',
    );
  });

  it('writes to --out instead of stdout', async () => {
    const out = join(fx.dir, 'spend.csv');
    const r = await runCli(['report', '--format', 'csv', ...RANGE, '--by', 'task', '--out', out], { cwd: fx.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(
      'task,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd\r\n' +
        'T-1,2,0,3000,500,500,0,0,0.013500000\r\n' +
        'T-2,2,1,500,100,0,0,0,0.000150000\r\n',
    );
  });

  it('exits 2 for a bad --format, --top or --since', async () => {
    const format = await runCli(['report', '--format', 'pdf'], { cwd: fx.dir });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("option '--format <format>' argument 'pdf' is invalid. Allowed choices are md, csv, json.");
    const top = await runCli(['report', '--top', '0'], { cwd: fx.dir });
    expect(top.code).toBe(2);
    expect(top.stderr).toContain("option '--top <n>' argument '0' is invalid. expected a whole number >= 1, got \"0\".");
    const since = await runCli(['report', '--since', 'last week'], { cwd: fx.dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('error: --since:');
  });
});
