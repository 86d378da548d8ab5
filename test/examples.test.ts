/**
 * The README's examples are real programs: each is transpiled from examples/ into dist/examples/
 * (inside the package, so `import 'tollgate'` resolves to the built package) and run with node,
 * against a fake OpenAI server where it needs one. The README quotes these files verbatim.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeAnthropic, type FakeOpenAI } from './fakes/index.js';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'dist', 'examples');

function transpile(name: string): string {
  const source = readFileSync(join(root, 'examples', name), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, name.replace(/\.ts$/, '.mjs'));
  writeFileSync(file, outputText);
  return file;
}

/** Runs a built example in a child process (asynchronously: the fake server lives in this process). */
function run(file: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README examples', () => {
  let fake: FakeOpenAI;
  let fakeAnthropic: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    fakeAnthropic = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
    await fakeAnthropic.close();
  });

  it('every example file is quoted verbatim in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const name of readdirSync(join(root, 'examples'))) {
      const source = readFileSync(join(root, 'examples', name), 'utf8').trimEnd();
      expect(readme, `README must quote examples/${name}`).toContain(source);
    }
  });

  it('existing-otel.ts: budgets on a wrapped OpenAI client in a NodeSDK service', async () => {
    const r = await run(transpile('existing-otel.ts'), { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('gpt-4o then gpt-4o-mini');
    expect(lines[1]).toMatch(/^denied by the total budget "freeze": needs up to \$0\.0\d+, limit \$0\.000001$/);
    expect(lines[2]).toMatch(/^task T-123: 2 calls, \$0\.0000\d+$/);
  });

  it('ai-sdk.ts: the Vercel AI SDK with OpenAI and Anthropic priced, and a denial caught as BudgetExceededError', async () => {
    const sent = fakeAnthropic.requests.length;
    const r = await run(transpile('ai-sdk.ts'), {
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'test',
      ANTHROPIC_BASE_URL: `${fakeAnthropic.baseURL}/v1`,
      ANTHROPIC_API_KEY: 'test',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('tok0 tok1 tok2 tok3 tok4');
    expect(lines[1]).toBe('tok0 tok1 tok2 tok3 tok4');
    expect(lines[2]).toBe('denied by the total budget "freeze"');
    // The denied call never reached the fake Anthropic server.
    expect(fakeAnthropic.requests.length).toBe(sent + 1);
    expect(lines.slice(3).sort()).toEqual([expect.stringMatching(/^claude-haiku-4-5: 1 call, \$0\.0000\d+$/), expect.stringMatching(/^gpt-4o-mini: 1 call, \$0\.00000\d+$/)]);
  });

  it('langchain.ts: ChatOpenAI calls priced through the OpenAI instrumentation, a denial found with budgetExceededFrom', async () => {
    const r = await run(transpile('langchain.ts'), { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tok0 tok1 tok2 tok3 tok4$/);
    expect(lines[1]).toBe('denied by the total budget "freeze"');
    expect(lines[2]).toMatch(/^gpt-4o-mini: 1 call, \$0\.00000\d+$/);
  });

  it('agent.ts: wrappers, /metrics and a report', async () => {
    const r = await run(transpile('agent.ts'));
    // Problems are loud, and this example has none: nothing reaches stderr.
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // claude-sonnet-4: 12 in × $3/M + 300 out × $15/M = $0.004536
    expect(r.stdout).toContain('cost_total_usd 0.004536');
    expect(r.stdout).toContain('# tollgate spend report');
    expect(r.stdout).toContain('Session `S-1`: $0.0045 over 1 call.');
  });
});

describe('README configuration example', () => {
  it('examples/tollgate.toml loads, with its pricing file', async () => {
    const { loadConfig } = await import('../src/config/loadConfig.js');
    const { PricingCatalog } = await import('../src/pricing/PricingCatalog.js');
    const config = loadConfig({ file: join(root, 'examples', 'tollgate.toml'), env: {} });
    expect(config.store).toBe('sqlite:.tollgate/ledger.db');
    expect(config.sqlite.settleDelayMs).toBe(20);
    expect(config.pricing.unpricedUnderCap).toBe('ceiling');
    expect(config.estimation).toEqual({ defaultMaxOutputTokens: 4096, minOutputTokens: 16, inputMargin: 0 });
    expect(config.budgets).toEqual([
      expect.objectContaining({ scope: 'daily', maxUsd: 20, onExceed: 'deny' }),
      expect.objectContaining({ scope: 'session', maxUsd: 2, onExceed: 'warn' }),
    ]);
    const pricing = new PricingCatalog(config.pricing);
    // 1,000 in × $0.003/1k + 1,000 out × $0.012/1k = $0.015
    expect(pricing.cost({ input: 1000, output: 1000 }, 'my-finetune').totalNanos).toBe(15_000_000);
    expect(pricing.cost({ input: 1_000_000, output: 0, cacheRead: 1_000_000 }, 'acme-large', 'acme').totalNanos).toBe(500_000_000);
    expect(pricing.cost({ input: 1_000_000, output: 1_000_000 }, 'my-model', 'my-provider').totalNanos).toBe(5_500_000_000);
    // Unit prices added to the price data: gpt-4.1 keeps its $2 / $8 per 1M tokens; 2 code interpreter calls × $0.03, 1 image × $0.04.
    const gpt = pricing.cost({ input: 1000, output: 1000, codeInterpreterCalls: 2, imageGenerations: 1 }, 'gpt-4.1', 'openai');
    expect(gpt).toMatchObject({ totalNanos: 2_000_000 + 8_000_000 + 60_000_000 + 40_000_000, serverToolNanos: 100_000_000 });
    expect(gpt.unpricedUnits).toBeUndefined();
    // claude-sonnet-4-5 keeps its token prices; 1 code execution × $0.05
    const claude = pricing.cost({ input: 0, output: 0, codeExecutions: 1 }, 'claude-sonnet-4-5', 'anthropic');
    expect(claude).toMatchObject({ totalNanos: 50_000_000, serverToolNanos: 50_000_000 });
    expect(claude.unpricedUnits).toBeUndefined();
  });
});
