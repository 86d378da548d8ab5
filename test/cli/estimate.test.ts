import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './runCli.js';

describe('tollgate estimate', () => {
  it('prices claude-sonnet-4 1M/1M at $18.00', async () => {
    const r = await runCli(['estimate', 'claude-sonnet-4', '1000000', '1000000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('claude-sonnet-4 (anthropic/claude-sonnet-4-0, genai-prices): $18.00');
    expect(r.stdout).toContain('│ total       │ 2,000,000 │ $18.00 │');
  });

  it('prints the breakdown as JSON', async () => {
    const r = await runCli(['estimate', 'gpt-4o-mini', '1_000_000', '1,000,000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      model: 'gpt-4o-mini',
      provider: 'openai',
      pricedAs: 'gpt-4o-mini',
      source: 'genai-prices',
      known: true,
      usage: { input: 1_000_000, output: 1_000_000, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
      costUsd: 0.75,
      costNanos: 750_000_000,
      breakdown: { inputUsd: 0.15, cacheReadUsd: 0, cacheWriteUsd: 0, outputUsd: 0.6, reasoningUsd: 0, requestUsd: 0 },
    });
  });

  it('splits cached, cache-write and reasoning tokens', async () => {
    const r = await runCli(['estimate', 'claude-sonnet-4', '10000', '1000', '--cached', '4000', '--cache-write', '3000', '--reasoning', '100', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { costNanos: number; breakdown: Record<string, number> };
    expect(out.costNanos).toBe(36_450_000);
    expect(out.breakdown).toEqual({
      inputUsd: 0.009,
      cacheReadUsd: 0.0012,
      cacheWriteUsd: 0.01125,
      outputUsd: 0.015,
      reasoningUsd: 0,
      requestUsd: 0,
    });
  });

  it('uses overrides from --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-config-'));
    const file = join(dir, 'custom.toml');
    writeFileSync(file, '[pricing.overrides."my-provider/my-model"]\ninput_per_m = 1.5\noutput_per_m = 4\n');
    const r = await runCli(['--config', file, 'estimate', 'my-provider/my-model', '1000000', '1000000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'my-provider', pricedAs: 'my-model', source: 'override', costNanos: 5_500_000_000 });
  });

  it('warns about an unknown model and counts it as $0', async () => {
    const r = await runCli(['estimate', 'no-such-model', '10', '10', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: no price is known for model "no-such-model"; counted as $0 (pricing.unknownModel = warn)\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ known: false, source: 'unknown', costNanos: 0 });
  });

  it.each([
    [['estimate', 'gpt-4o', 'abc', '10'], `error: command-argument value 'abc' is invalid for argument 'inputTokens'. expected a whole number of tokens >= 0, got "abc".\n`],
    [['estimate', 'gpt-4o', '10', '-5'], `error: command-argument value '-5' is invalid for argument 'outputTokens'. expected a whole number of tokens >= 0, got "-5".\n`],
    [['estimate', 'gpt-4o', '10', '1.5'], `error: command-argument value '1.5' is invalid for argument 'outputTokens'. expected a whole number of tokens >= 0, got "1.5".\n`],
    [['estimate', 'gpt-4o', '10', '1', '--cached', '20'], 'error: --cached + --cache-write (20 + 0) cannot exceed inputTokens (10): input includes cached tokens\n'],
    [['estimate', 'gpt-4o', '10', '1', '--reasoning', '2'], 'error: --reasoning (2) cannot exceed outputTokens (1): output includes reasoning tokens\n'],
    [['estimate', 'gpt-4o', '10'], `error: missing required argument 'outputTokens'\n`],
  ])('rejects %j with exit code 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message);
  });

  it('exits 2 with the ConfigError message for a bad config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-config-'));
    writeFileSync(join(dir, 'tollgate.toml'), '[pricing]\nunknown_model = "sometimes"\n');
    const r = await runCli(['estimate', 'gpt-4o', '1', '1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `tollgate: ${join(dir, 'tollgate.toml')}: pricing.unknownModel: expected zero, warn or deny, got "sometimes". Fix: use 'zero', 'warn' or 'deny'\n`,
    );
  });

  it("exits 2 for an unknown model under the 'deny' policy", async () => {
    const r = await runCli(['estimate', 'no-such-model', '10', '10'], { env: { TOLLGATE_UNKNOWN_MODEL: 'deny' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tollgate: no price is known for model "no-such-model" and pricing.unknownModel is 'deny'\./);
  });
});
