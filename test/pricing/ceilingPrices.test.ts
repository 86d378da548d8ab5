import { describe, expect, it } from 'vitest';
import { ceilingPrices, livePrices, maxPrice } from '../../src/pricing/ceilingPrices.js';
import { flatPrice, priceAt } from '../../src/pricing/ModelPrices.js';
import type { IntegerPrice, ModelPrices } from '../../src/pricing/ModelPrices.js';
import { staticSchedule } from '../../src/pricing/PriceSchedule.js';
import type { PriceSchedule } from '../../src/pricing/PriceSchedule.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const tiered = (base: bigint, tiers: [number, bigint][]): IntegerPrice => ({ base, tiers: tiers.map(([start, price]) => ({ start, price })) });
const p = (input: bigint, output: bigint): ModelPrices => ({ input: flatPrice(input), output: flatPrice(output) });

describe('livePrices', () => {
  it('drops entries shadowed for good by a later entry that has started or has no constraint', () => {
    const schedule: PriceSchedule = {
      entries: [
        { prices: p(1n, 1n) },
        { constraint: { type: 'start_date', startMs: NOW - 1000 }, prices: p(2n, 2n) },
        { constraint: { type: 'time_of_day', startSec: 0, endSec: 3600 }, prices: p(3n, 3n) },
        { constraint: { type: 'start_date', startMs: NOW + 1000 }, prices: p(4n, 4n) },
      ],
    };
    expect(livePrices(schedule, NOW).map((x) => x.input?.base)).toEqual([4n, 3n, 2n]);
    expect(livePrices(schedule, NOW + 2000).map((x) => x.input?.base)).toEqual([4n]);
    expect(livePrices(staticSchedule(p(9n, 9n)), NOW).map((x) => x.input?.base)).toEqual([9n]);
  });
});

describe('maxPrice', () => {
  it('is the dearest price at every input size, tiers merged', () => {
    const prices = [tiered(5n, [[200_000, 10n]]), tiered(8n, []), tiered(3n, [[100_000, 12n], [300_000, 4n]])];
    const max = maxPrice(prices);
    expect(max).toEqual(tiered(8n, [[100_000, 12n], [300_000, 10n]]));
    for (const input of [0, 1, 99_999, 100_000, 100_001, 200_000, 200_001, 300_000, 300_001, 5_000_000]) {
      const dearest = prices.map((x) => priceAt(x, input)).reduce((a, b) => (b > a ? b : a));
      expect(priceAt(max as IntegerPrice, input), `at ${input}`).toBe(dearest);
    }
  });

  it('is undefined for no prices', () => {
    expect(maxPrice([])).toBeUndefined();
  });
});

describe('ceilingPrices', () => {
  it('charges cached tokens of a model without cache prices at its input price, and counts reasoning prices as output', () => {
    const withCache: ModelPrices = { ...p(10n, 20n), cacheRead: flatPrice(1n), cacheWrite: flatPrice(12n) };
    const noCache: ModelPrices = { ...p(4n, 5n), reasoning: flatPrice(30n) };
    const ceiling = ceilingPrices([staticSchedule(withCache), staticSchedule(noCache)], new Date(NOW));
    expect(ceiling).toEqual({
      input: flatPrice(10n),
      output: flatPrice(30n),
      cacheRead: flatPrice(4n),
      cacheWrite: flatPrice(12n),
      cacheWrite1h: flatPrice(12n),
      inputAudio: flatPrice(10n),
      inputImage: flatPrice(10n),
      outputAudio: flatPrice(20n),
    });
  });

  it('ignores models priced by other units only, and is undefined when no model has a token price', () => {
    const pages: ModelPrices = { requestsPerK: flatPrice(1_000n) };
    expect(ceilingPrices([staticSchedule(pages)], new Date(NOW))).toBeUndefined();
    expect(ceilingPrices([staticSchedule(pages), staticSchedule(p(2n, 3n))], new Date(NOW))).toEqual({
      input: flatPrice(2n),
      output: flatPrice(3n),
      cacheRead: flatPrice(2n),
      cacheWrite: flatPrice(2n),
      cacheWrite1h: flatPrice(2n),
      inputAudio: flatPrice(2n),
      inputImage: flatPrice(2n),
      outputAudio: flatPrice(3n),
    });
  });
});
