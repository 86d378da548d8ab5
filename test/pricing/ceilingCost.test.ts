import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import type { PriceRow } from '../../src/pricing/PricingCatalog.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';

const NOON = new Date('2025-06-01T12:00:00Z');
const catalog = (options: ConstructorParameters<typeof PricingCatalog>[0] = {}): PricingCatalog =>
  new PricingCatalog({ now: () => NOON, ...options });
const M = 1_000_000;

afterEach(() => {
  diag.disable();
});

/** nano-USD per 1M tokens of a row's USD-per-1M price. */
const nanosPerM = (usd: number | null): bigint => BigInt(Math.round((usd ?? 0) * 1e9));
const maxOf = (values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a), 0n);

/**
 * The ceiling written out from the price table: the dearest price of each token kind over
 * `rows` (cached tokens of a model without a cache price cost its input price; reasoning
 * tokens are output tokens), and the cost of `usage` at those prices, rounded half up once.
 */
function expectedCeiling(rows: PriceRow[], usage: Required<Pick<TokenUsage, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning'>>): { perM: Record<string, bigint>; totalNanos: number } {
  const token = rows.filter((r) => r.inputPerM !== null || r.outputPerM !== null);
  const perM = {
    input: maxOf(token.map((r) => nanosPerM(r.inputPerM))),
    output: maxOf(token.flatMap((r) => [nanosPerM(r.outputPerM), nanosPerM(r.reasoningPerM)])),
    cacheRead: maxOf(token.map((r) => nanosPerM(r.cacheReadPerM ?? r.inputPerM))),
    cacheWrite: maxOf(token.map((r) => nanosPerM(r.cacheWritePerM ?? r.inputPerM))),
  };
  const exact =
    BigInt(usage.input - usage.cacheRead - usage.cacheWrite) * perM.input +
    BigInt(usage.cacheRead) * perM.cacheRead +
    BigInt(usage.cacheWrite) * perM.cacheWrite +
    BigInt(usage.output) * perM.output;
  return { perM, totalNanos: Number((exact + 500_000n) / 1_000_000n) };
}

const SMALL: Required<Pick<TokenUsage, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning'>> = { input: 12_345, output: 678, cacheRead: 1_000, cacheWrite: 345, reasoning: 0 };

describe('PricingCatalog.ceilingCost', () => {
  it("prices 'openai' at the dearest price of each token kind among the openai models", () => {
    const c = catalog();
    const cost = c.ceilingCost(SMALL, 'openai');
    const expected = expectedCeiling(c.list('openai'), SMALL);
    expect(cost.totalNanos).toBe(expected.totalNanos);
    expect(cost.model).toEqual({ provider: 'openai', model: 'ceiling', source: 'ceiling', known: false });

    const perM = c.ceilingCost({ input: M, output: M }, 'openai');
    expect(BigInt(perM.inputNanos)).toBe(expected.perM.input);
    expect(BigInt(perM.outputNanos)).toBe(expected.perM.output);
    const gpt4o = c.cost({ input: M, output: M }, 'gpt-4o', 'openai');
    expect(perM.inputNanos).toBeGreaterThanOrEqual(gpt4o.inputNanos);
    expect(perM.outputNanos).toBeGreaterThanOrEqual(gpt4o.outputNanos);
    expect(cost.totalNanos).toBeGreaterThan(c.cost(SMALL, 'gpt-4o', 'openai').totalNanos);
  });

  it('is never below the cost of any known model of the provider, large inputs (price tiers) and reasoning included', () => {
    const c = catalog();
    const usages: TokenUsage[] = [SMALL, { input: 300_000, output: 20_000, cacheRead: 250_000, reasoning: 15_000 }, { input: 1, output: 1 }];
    for (const provider of ['openai', 'anthropic', 'google']) {
      for (const usage of usages) {
        const ceiling = c.ceilingCost(usage, provider).totalNanos;
        for (const row of c.list(provider)) {
          const cost = c.cost(usage, row.model, row.provider);
          expect(ceiling, `${provider}/${row.model}`).toBeGreaterThanOrEqual(cost.totalNanos - (cost.requestNanos ?? 0));
        }
      }
    }
  });

  it('maps the provider name first (semantic-convention names, any case)', () => {
    const c = catalog();
    const openai = c.ceilingCost(SMALL, 'openai');
    expect(c.ceilingCost(SMALL, 'azure.ai.openai')).toEqual(openai);
    expect(c.ceilingCost(SMALL, 'OpenAI')).toEqual(openai);
    const google = c.ceilingCost(SMALL, 'gcp.gemini');
    expect(google.model.provider).toBe('google');
    expect(google.totalNanos).toBe(expectedCeiling(c.list('google'), SMALL).totalNanos);
  });

  it('uses every known model for an unknown provider or none', () => {
    const c = catalog();
    const global = expectedCeiling(c.list(), SMALL);
    const none = c.ceilingCost(SMALL);
    expect(none.totalNanos).toBe(global.totalNanos);
    expect(none.model).toEqual({ provider: 'unknown', model: 'ceiling', source: 'ceiling', known: false });
    const acme = c.ceilingCost(SMALL, 'acme');
    expect(acme.totalNanos).toBe(global.totalNanos);
    expect(acme.model.provider).toBe('acme');
    expect(none.totalNanos).toBeGreaterThanOrEqual(c.ceilingCost(SMALL, 'anthropic').totalNanos);
  });

  it('counts overrides as known models, for their provider and in the global ceiling', () => {
    const c = catalog({ overrides: { 'acme/super': { inputPerM: 5000, outputPerM: 9000, cacheReadPerM: 100 } } });
    const acme = c.ceilingCost({ input: M, output: M, cacheRead: M / 2 }, 'acme');
    expect(acme.inputNanos).toBe(2_500_000_000_000);
    expect(acme.cacheReadNanos).toBe(50_000_000_000);
    expect(acme.outputNanos).toBe(9_000_000_000_000);
    const global = c.ceilingCost({ input: M, output: M }, 'nobody');
    expect(global.inputNanos).toBe(5_000_000_000_000);
    expect(global.outputNanos).toBe(9_000_000_000_000);
    // Without the override, the global ceiling is lower.
    expect(catalog().ceilingCost({ input: M, output: M }, 'nobody').totalNanos).toBeLessThan(global.totalNanos);
  });

  it('is exact in nano-USD like cost(): a provider with one model costs what that model costs', () => {
    const c = catalog({ overrides: { 'acme/odd': { inputPerM: 0.333333, outputPerM: 1.000001, cacheReadPerM: 0.033333, cacheWritePerM: 0.4 } } });
    // 7 × 333,333,000 + 3 × 1,000,001,000 = 5,333,334,000 / 1e6 → 5,333.334 → 5,333 nanos
    expect(c.ceilingCost({ input: 7, output: 3 }, 'acme').totalNanos).toBe(5_333);
    for (const usage of [{ input: 7, output: 3 }, { input: 1_234_567, output: 89_012, cacheWrite: 4_567, cacheRead: 3 }, { input: 1, output: 0 }]) {
      const { model: ceilingModel, ...ceiling } = c.ceilingCost(usage, 'acme');
      const { model, ...priced } = c.cost(usage, 'odd', 'acme');
      expect(ceiling).toEqual(priced);
      expect(ceilingModel.source).toBe('ceiling');
      expect(model.source).toBe('override');
    }
  });

  it('computes the ceiling of a provider once', () => {
    let clockReads = 0;
    const c = new PricingCatalog({
      now: () => {
        clockReads += 1;
        return NOON;
      },
    });
    c.ceilingCost(SMALL, 'anthropic');
    const afterFirst = clockReads;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 5; i += 1) c.ceilingCost({ input: i, output: i }, 'anthropic');
    expect(clockReads).toBe(afterFirst);
  });

  it('rejects invalid usage like cost()', () => {
    const c = catalog();
    expect(() => c.ceilingCost({ input: -1, output: 0 }, 'openai')).toThrow(RangeError);
    expect(() => c.ceilingCost({ input: 1, output: 0, cacheRead: 2 }, 'openai')).toThrow(RangeError);
  });
});

describe('PricingCatalog.isPriced', () => {
  it('is true for known and local models, false for unknown ones, without a warning', () => {
    const warnings: string[] = [];
    const noop = (): void => {};
    const logger: DiagLogger = { error: noop, info: noop, debug: noop, verbose: noop, warn: (m: string) => warnings.push(m) };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const c = catalog({ unknownModel: 'warn', overrides: { 'acme/odd': { inputPerM: 1, outputPerM: 2 } } });
    expect(c.isPriced('gpt-4o')).toBe(true);
    expect(c.isPriced('claude-sonnet-4-20250514', 'anthropic')).toBe(true);
    expect(c.isPriced('odd', 'acme')).toBe(true);
    expect(c.isPriced('ollama/llama3.1:70b')).toBe(true);
    expect(c.isPriced('llama3', 'ollama')).toBe(true);
    expect(c.isPriced('mystery-model', 'acme')).toBe(false);
    expect(warnings).toEqual([]);
    c.cost({ input: 1, output: 1 }, 'mystery-model', 'acme');
    expect(warnings).toHaveLength(1);
  });

  it("does not throw under the 'deny' policy", () => {
    expect(catalog({ unknownModel: 'deny' }).isPriced('mystery-model')).toBe(false);
  });
});
