import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/ConfigError.js';
import { computeCost } from '../../src/pricing/computeCost.js';
import { parsePriceEntry } from '../../src/pricing/PriceOverride.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { UnknownModelError } from '../../src/core/UnknownModelError.js';

/** 12:00 UTC: DeepSeek's standard (non-discount) hours. */
const NOON = new Date('2025-06-01T12:00:00Z');
const catalog = (options: ConstructorParameters<typeof PricingCatalog>[0] = {}): PricingCatalog =>
  new PricingCatalog({ now: () => NOON, ...options });
const M = 1_000_000;

function captureDiag(): string[] {
  const warnings: string[] = [];
  const noop = (): void => {};
  const logger: DiagLogger = { error: noop, info: noop, debug: noop, verbose: noop, warn: (m: string) => warnings.push(m) };
  diag.setLogger(logger, DiagLogLevel.WARN);
  return warnings;
}

afterEach(() => {
  diag.disable();
});

describe('seed models, 1M input + 1M output tokens', () => {
  const expected: [string, string, string, string, number][] = [
    ['claude-sonnet-4', 'anthropic', 'claude-sonnet-4-0', 'genai-prices', 18_000_000_000],
    ['claude-opus-4', 'anthropic', 'claude-opus-4-0', 'genai-prices', 90_000_000_000],
    ['claude-3.5-sonnet', 'anthropic', 'claude-3-5-sonnet', 'genai-prices', 18_000_000_000],
    ['claude-3.5-haiku', 'anthropic', 'claude-3-5-haiku-latest', 'genai-prices', 4_800_000_000],
    ['claude-3-haiku', 'anthropic', 'claude-3-haiku', 'genai-prices', 1_500_000_000],
    ['gpt-4o', 'openai', 'gpt-4o', 'genai-prices', 12_500_000_000],
    ['gpt-4o-mini', 'openai', 'gpt-4o-mini', 'genai-prices', 750_000_000],
    ['gpt-4-turbo', 'openai', 'gpt-4-turbo', 'genai-prices', 40_000_000_000],
    ['o1', 'openai', 'o1', 'genai-prices', 75_000_000_000],
    ['o1-mini', 'openai', 'o1-mini', 'genai-prices', 5_500_000_000],
    ['o3-mini', 'openai', 'o3-mini', 'genai-prices', 5_500_000_000],
    ['gemini-2.0-flash', 'google', 'gemini-2.0-flash', 'genai-prices', 500_000_000],
    ['gemini-2.0-pro', 'google', 'gemini-2.0-pro', 'bundled', 11_250_000_000],
    // above 128k input tokens gemini-1.5 is priced at its higher tier
    ['gemini-1.5-pro', 'google', 'gemini-1.5-pro', 'genai-prices', 12_500_000_000],
    ['gemini-1.5-flash', 'google', 'gemini-1.5-flash', 'genai-prices', 750_000_000],
    ['llama-3.1-405b', 'together', 'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'genai-prices', 7_000_000_000],
    ['llama-3.1-70b', 'together', 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 'genai-prices', 1_760_000_000],
    ['llama-3.1-8b', 'together', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'genai-prices', 360_000_000],
    ['mistral-large', 'mistral', 'mistral-large', 'genai-prices', 8_000_000_000],
    ['mistral-small', 'mistral', 'mistral-small-latest', 'genai-prices', 400_000_000],
    ['codestral', 'mistral', 'codestral', 'genai-prices', 1_200_000_000],
    ['deepseek-v3', 'deepseek', 'deepseek-chat', 'genai-prices', 1_370_000_000],
    ['deepseek-r1', 'deepseek', 'deepseek-reasoner', 'genai-prices', 2_740_000_000],
  ];
  it.each(expected)('%s → %s/%s (%s) costs %i nano-USD', (model, provider, id, source, nanos) => {
    const cost = catalog().cost({ input: M, output: M }, model);
    expect(cost.totalNanos).toBe(nanos);
    expect(cost.model).toEqual({ provider, model: id, source, known: true });
  });

  it('claude-sonnet-4 1M/1M is $18.00 and gpt-4o-mini 1M/1M is $0.75', () => {
    const c = catalog();
    expect(c.cost({ input: M, output: M }, 'claude-sonnet-4')).toMatchObject({
      totalNanos: 18_000_000_000,
      inputNanos: 3_000_000_000,
      outputNanos: 15_000_000_000,
    });
    expect(c.cost({ input: M, output: M }, 'gpt-4o-mini')).toMatchObject({
      totalNanos: 750_000_000,
      inputNanos: 150_000_000,
      outputNanos: 600_000_000,
    });
  });
});

describe('resolution', () => {
  it.each([
    ['claude-sonnet-4-20250514', undefined, 'anthropic', 'claude-sonnet-4-0'],
    ['anthropic/claude-sonnet-4', undefined, 'anthropic', 'claude-sonnet-4-0'],
    ['gpt-4o-mini-2024-07-18', undefined, 'openai', 'gpt-4o-mini'],
    ['openai/gpt-4o', undefined, 'openai', 'gpt-4o'],
    ['openrouter/openai/gpt-4o', undefined, 'openrouter', 'openai/gpt-4o'],
    ['gemini-2.0-flash', 'gcp.gemini', 'google', 'gemini-2.0-flash'],
    ['GPT-4o', 'OpenAI', 'openai', 'gpt-4o'],
  ])('%s (provider %s) → %s/%s', (model, provider, wantProvider, wantModel) => {
    expect(catalog().resolve(model, provider)).toMatchObject({ provider: wantProvider, model: wantModel, known: true });
  });

  it('is memoised: the second resolve returns the same object without matching again', () => {
    const c = catalog();
    const first = c.resolve('claude-sonnet-4-20250514', 'anthropic');
    expect(c.matchCount).toBe(1);
    const second = c.resolve('claude-sonnet-4-20250514', 'anthropic');
    c.cost({ input: 10, output: 10 }, 'claude-sonnet-4-20250514', 'anthropic');
    expect(second).toBe(first);
    expect(c.matchCount).toBe(1);
    c.resolve('claude-sonnet-4-20250514');
    expect(c.matchCount).toBe(2);
  });
});

describe('cost arithmetic', () => {
  it('prices cache reads and writes separately (input includes them)', () => {
    const cost = catalog().cost({ input: 10_000, cacheRead: 4_000, cacheWrite: 3_000, output: 1_000 }, 'claude-sonnet-4');
    expect(cost).toMatchObject({
      inputNanos: 9_000_000, // 3,000 uncached × $3/M
      cacheReadNanos: 1_200_000, // 4,000 × $0.30/M
      cacheWriteNanos: 11_250_000, // 3,000 × $3.75/M
      outputNanos: 15_000_000, // 1,000 × $15/M
      reasoningNanos: 0,
      totalNanos: 36_450_000,
    });
  });

  it('charges cache writes at the input price when the model has no cache-write price', () => {
    const cost = catalog().cost({ input: 10_000, cacheRead: 4_000, cacheWrite: 3_000, output: 0 }, 'gpt-4o');
    // 6,000 × $2.50/M + 4,000 × $1.25/M
    expect(cost).toMatchObject({ inputNanos: 15_000_000, cacheReadNanos: 5_000_000, cacheWriteNanos: 0, totalNanos: 20_000_000 });
  });

  it('counts reasoning as output, or at its own price when one exists', () => {
    expect(catalog().cost({ input: 0, output: 1_000, reasoning: 400 }, 'o1')).toMatchObject({
      outputNanos: 60_000_000,
      reasoningNanos: 0,
      totalNanos: 60_000_000,
    });
    const c = catalog({ overrides: { thinker: { inputPerM: 1, outputPerM: 10, reasoningPerM: 20 } } });
    expect(c.cost({ input: 0, output: 1_000, reasoning: 400 }, 'thinker')).toMatchObject({
      outputNanos: 6_000_000,
      reasoningNanos: 8_000_000,
      totalNanos: 14_000_000,
    });
  });

  it('applies the > 200k input tier to every token of the call', () => {
    const c = catalog();
    expect(c.cost({ input: 199_999, output: 1_000 }, 'claude-sonnet-4-5').totalNanos).toBe(599_997_000 + 15_000_000);
    expect(c.cost({ input: 200_000, output: 1_000 }, 'claude-sonnet-4-5').totalNanos).toBe(600_000_000 + 15_000_000);
    expect(c.cost({ input: 200_001, output: 1_000 }, 'claude-sonnet-4-5').totalNanos).toBe(1_200_006_000 + 22_500_000);
  });

  it('rounds once, half up, and the parts always sum to the total', () => {
    // $0.0005/M = 0.5 nano per token: input 4 → 2, output 3 → 1.5; total 3.5 → 4
    const c = catalog({ overrides: { tiny: { inputPerM: 0.0005, outputPerM: 0.0005 } } });
    expect(c.cost({ input: 4, output: 3 }, 'tiny')).toMatchObject({ totalNanos: 4, inputNanos: 2, outputNanos: 2 });
    expect(c.cost({ input: 1, output: 0 }, 'tiny')).toMatchObject({ totalNanos: 1, inputNanos: 1 });
    expect(c.cost({ input: 0, output: 0 }, 'tiny').totalNanos).toBe(0);
  });

  it('uses time-dependent prices at the injected clock (DeepSeek off-peak)', () => {
    const peak = catalog().cost({ input: M, output: M }, 'deepseek-chat');
    const offPeak = new PricingCatalog({ now: () => new Date('2025-06-01T20:00:00Z') }).cost({ input: M, output: M }, 'deepseek-chat');
    expect(peak.totalNanos).toBe(1_370_000_000);
    expect(offPeak.totalNanos).toBe(685_000_000);
  });

  it('prices exactly as the BigInt computeCost, parts and total, for any flat prices and counts', () => {
    // The catalog prices in plain numbers while every product stays below 2^53 and falls back to
    // BigInt above; both must give the nanos of the reference computeCost.
    const usdPerM = fc.integer({ min: 0, max: 200_000_000 }).map((micro) => micro / 1e6); // $0 – $200 per 1M tokens
    fc.assert(
      fc.property(
        fc.record({ inputPerM: usdPerM, outputPerM: usdPerM, cacheReadPerM: fc.option(usdPerM), cacheWritePerM: fc.option(usdPerM), reasoningPerM: fc.option(usdPerM) }),
        fc.record({ input: fc.nat({ max: 2 ** 31 }), output: fc.nat({ max: 2 ** 31 }) }),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        (raw, u, [readShare, writeShare, reasoningShare]) => {
          const override = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) as Record<string, number>;
          const c = catalog({ overrides: { m: override } });
          const cacheRead = Math.floor(u.input * readShare);
          const cacheWrite = Math.floor((u.input - cacheRead) * writeShare);
          const usage = { input: u.input, output: u.output, cacheRead, cacheWrite, reasoning: Math.floor(u.output * reasoningShare) };
          const { model, ...parts } = c.cost(usage, 'm');
          expect(model.source).toBe('override');
          expect(parts).toEqual(computeCost(usage, parsePriceEntry(override, 'test', 'm')));
          expect(c.totalNanos(u.input, u.output, 'm')).toBe(c.cost({ input: u.input, output: u.output }, 'm').totalNanos);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each([
    [{ input: -1, output: 0 }, 'usage.input must be a non-negative integer number of tokens, got -1'],
    [{ input: 1.5, output: 0 }, 'usage.input must be a non-negative integer number of tokens, got 1.5'],
    [{ input: 1, output: Number.NaN }, 'usage.output must be a non-negative integer number of tokens, got NaN'],
    [{ input: 10, output: 0, cacheRead: -2 }, 'usage.cacheRead must be a non-negative integer number of tokens, got -2'],
    [{ input: 10, output: 5, reasoning: Infinity }, 'usage.reasoning must be a non-negative integer number of tokens, got Infinity'],
    [
      { input: 10, output: 0, cacheRead: 8, cacheWrite: 3 },
      'usage.cacheRead + usage.cacheWrite (8 + 3) cannot exceed usage.input (10): input includes cached tokens',
    ],
    [{ input: 0, output: 5, reasoning: 6 }, 'usage.reasoning (6) cannot exceed usage.output (5): output includes reasoning tokens'],
  ])('rejects %j', (usage, message) => {
    expect(() => catalog().cost(usage, 'gpt-4o')).toThrow(new RangeError(message));
    expect(() => catalog().cost(usage, 'unknown-model-x', undefined)).toThrow(RangeError);
  });
});

describe('overrides and pricing files', () => {
  it('gives the same cost for per-1k and per-1M prices', () => {
    const usage = { input: 123_457, cacheRead: 1_001, cacheWrite: 999, output: 7_777, reasoning: 333 };
    const perM = catalog({
      overrides: { 'my-provider/my-model': { inputPerM: 1.5, outputPerM: 4, cacheReadPerM: 0.15, cacheWritePerM: 1.875, reasoningPerM: 6 } },
    }).cost(usage, 'my-model', 'my-provider');
    const per1k = catalog({
      overrides: {
        'my-provider/my-model': { inputPer1k: 0.0015, outputPer1k: 0.004, cacheReadPer1k: 0.00015, cacheWritePer1k: 0.001875, reasoningPer1k: 0.006 },
      },
    }).cost(usage, 'my-provider/my-model');
    expect(per1k).toEqual(perM);
    expect(perM).toMatchObject({
      totalNanos: 215_982_775, // (121,457×1.5 + 1,001×0.15 + 999×1.875 + 7,444×4 + 333×6) × 1,000 nanos
      model: { provider: 'my-provider', model: 'my-model', source: 'override', known: true },
    });
  });

  it('lets an override win over genai-prices', () => {
    const c = catalog({ overrides: { 'gpt-4o': { inputPerM: 1, outputPerM: 1 } } });
    expect(c.cost({ input: M, output: M }, 'gpt-4o').totalNanos).toBe(2_000_000_000);
  });

  it('rejects mixed forms and bad prices, naming the model and field', () => {
    expect(() => catalog({ overrides: { m: { inputPerM: 1, inputPer1k: 0.001 } } })).toThrow(
      new ConfigError({
        source: 'pricing.overrides',
        path: '["m"].inputPer1k',
        expected: 'input price given twice (inputPerM and inputPer1k)',
        fix: 'keep only one of inputPerM / inputPer1k',
      }),
    );
    expect(() => catalog({ overrides: { m: { inputPerM: -1, outputPerM: 1 } } })).toThrow(
      'pricing.overrides: ["m"].inputPerM: expected a non-negative number of USD per 1M tokens, got -1. Fix: set inputPerM to a price such as 2.5',
    );
    expect(() => catalog({ overrides: { m: { inputPerM: Number.NaN, outputPerM: 1 } } })).toThrow(
      'pricing.overrides: ["m"].inputPerM: expected a non-negative number of USD per 1M tokens, got NaN.',
    );
  });

  describe('pricing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pricing-'));
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('loads the per-1k seed shape and the per-1M shape', () => {
      const seed = file('seed.json', JSON.stringify({ 'gpt-4o': { input_per_1k: 0.0025, output_per_1k: 0.01 } }));
      const perM = file(
        'perm.json',
        JSON.stringify({ 'acme/rocket': { input_per_m: 2, output_per_m: 8, cache_read_per_m: 0.5, cache_write_per_m: 2.5, reasoning_per_m: 10 } }),
      );
      const c = catalog({ files: [seed, perM] });
      expect(c.cost({ input: M, output: M }, 'gpt-4o')).toMatchObject({ totalNanos: 12_500_000_000, model: { source: 'override' } });
      expect(c.cost({ input: 1000, cacheRead: 500, output: 100, reasoning: 50 }, 'acme/rocket').totalNanos).toBe(
        1_000_000 + 250_000 + 400_000 + 500_000,
      );
    });

    it.each([
      ['bad-json.json', '{"gpt-4o": ', (p: string) => `${p}: expected valid JSON (`],
      ['array.json', '[1]', (p: string) => `${p}: expected a JSON object mapping model ids to prices, e.g. {"gpt-4o": {"input_per_1k": 0.0025, "output_per_1k": 0.01}}, got [1].`],
      [
        'string-price.json',
        '{"gpt-4o": {"input_per_1k": "0.0025", "output_per_1k": 0.01}}',
        (p: string) => `${p}: "gpt-4o".input_per_1k: expected a non-negative number of USD per 1k tokens, got "0.0025". Fix: set input_per_1k to a price such as 0.0025`,
      ],
      [
        'typo.json',
        '{"my-model": {"input_per_k": 1, "output_per_1k": 2}}',
        (p: string) =>
          `${p}: "my-model".input_per_k: unknown price field. Fix: did you mean input_per_m? (rename input_per_k to input_per_m)`,
      ],
      [
        'empty-entry.json',
        '{"my-model": {}}',
        (p: string) =>
          `${p}: "my-model": expected at least one price. Fix: add input_per_m and output_per_m (inputPerM / outputPerM in code) to price the model, or only the units to add to its price-data entry, e.g. code_interpreter_per_call`,
      ],
      [
        'not-object.json',
        '{"my-model": 3}',
        (p: string) => `${p}: "my-model": expected an object of prices such as { "input_per_m": 3, "output_per_m": 15 }, got 3.`,
      ],
    ])('%s fails with the file, the key and the field', (name, text, message) => {
      const path = file(name, text);
      let error: unknown;
      try {
        catalog({ files: [path] });
      } catch (err: unknown) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message.startsWith(message(path))).toBe(true);
    });

    it('names a missing file', () => {
      const path = join(dir, 'missing.json');
      expect(() => catalog({ files: [path] })).toThrow(`${path}: cannot read the pricing file (ENOENT`);
    });
  });
});

describe('local and unknown models', () => {
  it('prices local models at 0', () => {
    const c = catalog({ localModels: ['ollama/*', 'lmstudio/*', 'local/*', 'vllm/my-*'] });
    for (const [model, provider] of [
      ['ollama/llama3.1:70b', undefined],
      ['qwen2.5-coder', 'lmstudio'],
      ['my-finetune', 'vllm'],
    ] as const) {
      const cost = c.cost({ input: M, output: M }, model, provider);
      expect(cost.totalNanos).toBe(0);
      expect(cost.model.source).toBe('local');
      expect(cost.model.known).toBe(true);
    }
    expect(c.resolve('ollama/llama3.1:70b')).toEqual({ provider: 'ollama', model: 'llama3.1:70b', source: 'local', known: true });
  });

  it("'zero' prices unknown models at 0 silently", () => {
    const warnings = captureDiag();
    const cost = catalog({ unknownModel: 'zero' }).cost({ input: 5, output: 5 }, 'mystery-model');
    expect(cost.totalNanos).toBe(0);
    expect(cost.model).toEqual({ provider: 'unknown', model: 'mystery-model', source: 'unknown', known: false });
    expect(warnings).toEqual([]);
  });

  it("'warn' prices unknown models at 0 with one diag.warn per model", () => {
    const warnings = captureDiag();
    const c = catalog({ unknownModel: 'warn' });
    c.cost({ input: 5, output: 5 }, 'mystery-model');
    c.cost({ input: 5, output: 5 }, 'mystery-model');
    c.cost({ input: 5, output: 5 }, 'mystery-model', 'acme');
    c.cost({ input: 5, output: 5 }, 'other-mystery');
    expect(warnings).toEqual([
      'tollgate: no price known for model "mystery-model"; counted as $0. Fix: add pricing.overrides or a pricing file entry for it, or set pricing.unknownModel.',
      'tollgate: no price known for model "other-mystery"; counted as $0. Fix: add pricing.overrides or a pricing file entry for it, or set pricing.unknownModel.',
    ]);
  });

  it("'deny' throws UnknownModelError", () => {
    const c = catalog({ unknownModel: 'deny' });
    expect(() => c.cost({ input: 5, output: 5 }, 'mystery-model', 'acme')).toThrow(UnknownModelError);
    expect(() => c.cost({ input: 5, output: 5 }, 'mystery-model', 'acme')).toThrow(
      'no price is known for model "acme/mystery-model" and pricing.unknownModel is \'deny\'.',
    );
    expect(c.resolve('mystery-model', 'acme')).toEqual({ provider: 'acme', model: 'mystery-model', source: 'unknown', known: false });
    expect(c.cost({ input: 5, output: 5 }, 'gpt-4o').totalNanos).toBe(62_500);
  });
});

describe('list', () => {
  it('lists genai-prices, bundled and override rows, filtered by provider', () => {
    const c = catalog({ overrides: { 'my-provider/my-model': { inputPerM: 1.5, outputPerM: 4, inputAudioPerM: 40, webSearchPer1k: 25 } } });
    const openai = c.list('openai');
    expect(openai.every((r) => r.provider === 'openai')).toBe(true);
    expect(openai.find((r) => r.model === 'gpt-4o-mini')).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputPerM: 0.15,
      outputPerM: 0.6,
      cacheReadPerM: 0.075,
      cacheWritePerM: null,
      reasoningPerM: null,
      otherUnits: { webSearchPerCall: 0.01, fileSearchPerCall: 0.0025 },
      tiered: false,
      source: 'genai-prices',
    });
    expect(c.list('google').find((r) => r.model === 'gemini-2.0-pro')?.source).toBe('bundled');
    expect(c.list('my-provider')).toEqual([
      {
        provider: 'my-provider',
        model: 'my-model',
        inputPerM: 1.5,
        outputPerM: 4,
        cacheReadPerM: null,
        cacheWritePerM: null,
        reasoningPerM: null,
        otherUnits: { inputAudioPerM: 40, webSearchPerCall: 0.025 },
        tiered: false,
        source: 'override',
      },
    ]);
    expect(c.list().length).toBeGreaterThan(1000);
  });
});

describe('aliases that moved', () => {
  it('mistral-large-latest is priced as the model it serves now (a bundled alias superseding the price data), for Mistral or no provider only', () => {
    const c = catalog();
    expect(c.resolve('mistral-large-latest', 'mistral')).toMatchObject({ provider: 'mistral', model: 'mistral-large-2512', source: 'genai-prices' });
    expect(c.resolve('mistral-large-latest')).toMatchObject({ model: 'mistral-large-2512' });
    expect(c.describe('mistral-large-latest', 'mistral')).toEqual(c.describe('mistral-large-2512', 'mistral'));
    // the dated Mistral Large 2 ids keep their own price
    expect(c.resolve('mistral-large-2411', 'mistral')).toMatchObject({ model: 'mistral-large' });
    expect(c.resolve('mistral-large-latest', 'openrouter').model).not.toBe('mistral-large-2512');
  });
});
