import { describe, expect, it } from 'vitest';
import { SEED_MODELS } from '../../src/pricing/seedModels.js';
import { runCli } from './runCli.js';

interface Row {
  name: string;
  provider: string;
  model: string;
  inputPerM: number | null;
  outputPerM: number | null;
  cacheReadPerM: number | null;
  cacheWritePerM: number | null;
  reasoningPerM: number | null;
  otherUnits: Record<string, number>;
  tiered: boolean;
  source: string;
}

describe('tollgate pricing', () => {
  it('lists every seed model as JSON', async () => {
    const r = await runCli(['pricing', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((row) => row.name)).toEqual(SEED_MODELS);
    expect(rows.find((row) => row.name === 'claude-sonnet-4')).toEqual({
      name: 'claude-sonnet-4',
      provider: 'anthropic',
      model: 'claude-sonnet-4-0',
      inputPerM: 3,
      outputPerM: 15,
      cacheReadPerM: 0.3,
      cacheWritePerM: 3.75,
      reasoningPerM: null,
      otherUnits: { cacheWrite1hPerM: 6, webSearchPerCall: 0.01 },
      tiered: false,
      source: 'genai-prices',
    });
    expect(rows.find((row) => row.name === 'gemini-2.0-pro')).toMatchObject({ provider: 'google', source: 'bundled', inputPerM: 1.25, outputPerM: 10 });
  });

  it('prints a table', async () => {
    const r = await runCli(['pricing']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(
      '│ Model             │ Provider  │ Priced as                                     │ Input $/1M │ Output $/1M │ Cache read $/1M │ Cache write $/1M │ Other units                                     │ Source       │',
    );
    expect(lines).toContain(
      '│ gpt-4o-mini       │ openai    │ gpt-4o-mini                                   │      $0.15 │       $0.60 │          $0.075 │                - │ web search $0.01/call, file search $0.0025/call │ genai-prices │',
    );
    expect(lines).toContain(
      '│ gemini-1.5-pro    │ google    │ gemini-1.5-pro                                │     $1.25* │      $5.00* │               - │                - │                                                 │ genai-prices │',
    );
    expect(r.stdout).toContain('* base price; a higher price applies above an input-size threshold\n');
  });

  it('filters by provider', async () => {
    const r = await runCli(['pricing', '--provider', 'openai', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.every((row) => row.provider === 'openai' && row.source === 'genai-prices')).toBe(true);
    expect(rows.find((row) => row.model === 'gpt-4o')).toEqual({
      name: 'gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      inputPerM: 2.5,
      outputPerM: 10,
      cacheReadPerM: 1.25,
      cacheWritePerM: null,
      reasoningPerM: null,
      otherUnits: { webSearchPerCall: 0.01, fileSearchPerCall: 0.0025 },
      tiered: false,
      source: 'genai-prices',
    });
  });

  it('shows overrides from the environment pricing file', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-pricing-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'acme/rocket-1': { input_per_1k: 0.001, output_per_1k: 0.002, code_interpreter_per_call: 0.03 } }));
    const r = await runCli(['pricing', '--json'], { env: { TOLLGATE_PRICING_FILE: file } });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.at(-1)).toEqual({
      name: 'acme/rocket-1',
      provider: 'acme',
      model: 'rocket-1',
      inputPerM: 1,
      outputPerM: 2,
      cacheReadPerM: null,
      cacheWritePerM: null,
      reasoningPerM: null,
      otherUnits: { codeInterpreterPerCall: 0.03 },
      tiered: false,
      source: 'override',
    });
  });

  it('exits 2 naming a malformed pricing file', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-pricing-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'gpt-4o': { input_per_1k: 'cheap', output_per_1k: 0.01 } }));
    const r = await runCli(['pricing'], { env: { TOLLGATE_PRICING_FILE: file } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `tollgate: ${file}: "gpt-4o".input_per_1k: expected a non-negative number of USD per 1k tokens, got "cheap". Fix: set input_per_1k to a price such as 0.0025\n`,
    );
  });
});
