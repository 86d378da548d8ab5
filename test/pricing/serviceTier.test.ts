import { describe, expect, it } from 'vitest';
import { flatPrice } from '../../src/pricing/ModelPrices.js';
import type { ModelPrices } from '../../src/pricing/ModelPrices.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { pricesForTier } from '../../src/pricing/serviceTier.js';

describe('service tiers', () => {
  const prices: ModelPrices = {
    input: flatPrice(2_500_000_000n),
    output: flatPrice(10_000_000_001n),
    webSearchesPerK: flatPrice(10_000_000_000n),
  };

  it('doubles token prices for priority and halves them for flex (half up), and leaves fees alone', () => {
    expect(pricesForTier(prices, 'priority')).toEqual({ ...prices, input: flatPrice(5_000_000_000n), output: flatPrice(20_000_000_002n) });
    expect(pricesForTier(prices, 'flex')).toEqual({ ...prices, input: flatPrice(1_250_000_000n), output: flatPrice(5_000_000_001n) });
  });

  it('returns the same prices for standard tiers and memoises scaled ones', () => {
    for (const tier of [undefined, 'default', 'auto', 'scale', 'standard']) expect(pricesForTier(prices, tier)).toBe(prices);
    expect(pricesForTier(prices, 'flex')).toBe(pricesForTier(prices, 'flex'));
  });

  it('PricingCatalog.cost applies the tier the response states and says so', () => {
    const catalog = new PricingCatalog();
    const usage = { input: 1000, output: 100 };
    const standard = catalog.cost(usage, 'gpt-4o', 'openai').totalNanos;
    const priority = catalog.cost({ ...usage, serviceTier: 'priority' }, 'gpt-4o', 'openai');
    expect(priority.totalNanos).toBe(2 * standard);
    expect(priority.serviceTier).toBe('priority');
    expect(catalog.cost({ ...usage, serviceTier: 'flex' }, 'gpt-4o', 'openai').totalNanos).toBe(standard / 2);
    expect(catalog.cost({ ...usage, serviceTier: 'default' }, 'gpt-4o', 'openai').totalNanos).toBe(standard);
  });
});
