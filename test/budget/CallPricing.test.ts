import { describe, expect, it } from 'vitest';
import { CallPricing } from '../../src/budget/CallPricing.js';
import type { CallPricingOptions } from '../../src/budget/CallPricing.js';
import type { Pricer } from '../../src/budget/Pricer.js';
import { Problems } from '../../src/core/Problems.js';
import { UnknownModelError } from '../../src/core/UnknownModelError.js';
import { linearPricer } from './engineHarness.js';

function pricing(options: Partial<CallPricingOptions> = {}): { pricing: CallPricing; lines: string[] } {
  const lines: string[] = [];
  const problems = new Problems({ write: (line) => lines.push(line) });
  return { pricing: new CallPricing({ pricer: linearPricer({ big: 8 }), problems, ...options }), lines };
}

describe('CallPricing', () => {
  describe('basis', () => {
    it('a priced model is priced from its price data, with or without a cap, silently', () => {
      const { pricing: p, lines } = pricing();
      expect(p.basis('openai', 'gpt-4o', true)).toBe('known');
      expect(p.basis('openai', 'gpt-4o', false)).toBe('known');
      expect(lines).toEqual([]);
    });

    it('an unpriced model under a cap is priced at the ceiling, and says so with the ceiling prices', () => {
      const { pricing: p, lines } = pricing();
      expect(p.basis('openai', 'unpriced-x', true)).toBe('ceiling');
      expect(lines).toEqual([
        'tollgate [unpriced_model]: model "unpriced-x" (openai) has no price; under a deny budget it is reserved and charged at the ceiling price ' +
          '(input $0.01/M, output $0.02/M). Fix: correct the model name, or add pricing.overrides["openai/unpriced-x"]\n',
      ]);
    });

    it("an unpriced model under a cap with unpricedUnderCap 'deny' is refused", () => {
      const { pricing: p } = pricing({ unpricedUnderCap: 'deny' });
      expect(() => p.basis('openai', 'unpriced-x', true)).toThrow(UnknownModelError);
      expect(() => p.basis('openai', 'unpriced-x', true)).toThrow(/pricing\.unpricedUnderCap 'deny'/);
      expect(p.basis('openai', 'unpriced-x', false)).toBe('unpriced');
    });

    it("an unpriced model without a cap costs $0: loudly under 'warn' (default), silently under 'zero'", () => {
      const warn = pricing();
      expect(warn.pricing.basis('openai', 'unpriced-x', false)).toBe('unpriced');
      expect(warn.lines).toEqual([expect.stringContaining('"unpriced-x" (openai) has no price and is charged $0')]);
      const zero = pricing({ unknownModel: 'zero' });
      expect(zero.pricing.basis('openai', 'unpriced-x', false)).toBe('unpriced');
      expect(zero.lines).toEqual([]);
    });

    it("unknownModel 'deny' refuses an unpriced model with or without a cap", () => {
      const { pricing: p } = pricing({ unknownModel: 'deny' });
      expect(() => p.basis('openai', 'unpriced-x', false)).toThrow(UnknownModelError);
      expect(() => p.basis('openai', 'unpriced-x', true)).toThrow(/pricing\.unknownModel is 'deny'/);
      expect(p.basis('openai', 'gpt-4o', true)).toBe('known');
    });
  });

  describe('cost', () => {
    it('prices each basis: the model price, the ceiling price, nothing for an unpriced model', () => {
      const { pricing: p } = pricing();
      const usage = { input: 100, output: 10 };
      expect(p.nanos('known', usage, 'big', 'openai')).toBe(8 * (100 + 20));
      expect(p.nanos('ceiling', usage, 'unpriced-x', 'openai')).toBe(10 * (100 + 20));
      expect(p.nanos('unpriced', usage, 'unpriced-x', 'openai')).toBe(0);
      expect(p.cost('ceiling', usage, 'unpriced-x', 'openai').model.source).toBe('ceiling');
      expect([p.isPriced('big', 'openai'), p.isPriced('unpriced-x', 'openai')]).toEqual([true, false]);
    });
  });

  describe('fitOutput', () => {
    // Linear test prices: 1 nano per input token, 2 per output token.
    it('finds the largest output that fits the budget, exactly', () => {
      const { pricing: p } = pricing();
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 5_001)).toBe(2_000);
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 5_000)).toBe(2_000);
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 4_999)).toBe(1_999);
      expect(p.fitOutput('known', 'big', 'openai', 1_000, 4_096, 9_000)).toBe(62);
      expect(p.fitOutput('ceiling', 'unpriced-x', 'openai', 100, 4_096, 2_000)).toBe(50);
    });

    it('gives the whole output when it fits, 0 when only the input fits, -1 when not even the input fits', () => {
      const { pricing: p } = pricing();
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 1_000_000)).toBe(4_096);
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 9_192)).toBe(4_096);
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 1_001)).toBe(0);
      expect(p.fitOutput('known', 'gpt-4o', 'openai', 1_000, 4_096, 999)).toBe(-1);
    });

    it('finds the boundary of a price that is not linear (tiers), as a search over every output would', () => {
      // Output tokens beyond 1,000 cost 5 nanos each instead of 2.
      const tiered: Pricer = {
        ...linearPricer(),
        cost: (usage, model) => {
          const outputNanos = Math.min(usage.output, 1_000) * 2 + Math.max(0, usage.output - 1_000) * 5;
          return { ...linearPricer().cost({ input: usage.input, output: 0 }, model), totalNanos: usage.input + outputNanos, outputNanos };
        },
      };
      const p = new CallPricing({ pricer: tiered, problems: new Problems({ quiet: true }) });
      const price = (output: number) => 100 + Math.min(output, 1_000) * 2 + Math.max(0, output - 1_000) * 5;
      for (const budget of [100, 101, 2_099, 2_100, 2_104, 2_105, 7_000, 20_580, 20_581]) {
        let expected = -1;
        for (let o = 0; o <= 4_096 && price(o) <= budget; o++) expected = o;
        expect([budget, p.fitOutput('known', 'gpt-4o', 'openai', 100, 4_096, budget)]).toEqual([budget, expected]);
      }
    });
  });
});
