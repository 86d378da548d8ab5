import type { IntegerPrice, ModelPrices } from './ModelPrices.js';

/**
 * Token-price multipliers of OpenAI's service tiers, as a fraction (numerator, denominator).
 * The price data has no per-tier prices, so these follow OpenAI's pricing page: Flex is billed
 * at half the standard rate (the Batch rate), Priority at about twice it (2× for GPT-5,
 * 1.7–1.8× for GPT-4o, GPT-4.1 and the mini models: 2× is the bound, so a budget never under-charges).
 * Other tiers ('default', 'auto', 'scale', Anthropic's 'standard') bill standard rates.
 */
export const SERVICE_TIER_MULTIPLIERS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  priority: [2n, 1n],
  flex: [1n, 2n],
};

/** The token kinds a tier scales; per-request and server-tool fees do not change with the tier. */
const TOKEN_KINDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning', 'inputAudio', 'outputAudio'] as const;

const scaled = new WeakMap<ModelPrices, Map<string, ModelPrices>>();

function scale(price: IntegerPrice, num: bigint, den: bigint): IntegerPrice {
  const s = (v: bigint): bigint => (v * num * 2n + den) / (den * 2n); // half up
  return { base: s(price.base), tiers: price.tiers.map((t) => ({ start: t.start, price: s(t.price) })) };
}

/** True when `tier` changes prices (a key of SERVICE_TIER_MULTIPLIERS). */
export function isPricedTier(tier: string | undefined): tier is string {
  return tier !== undefined && Object.hasOwn(SERVICE_TIER_MULTIPLIERS, tier);
}

/**
 * `prices` with the token prices of `tier` (each rounded half up to a nano-USD per 1M); the
 * same object for a tier that bills standard rates. Memoised per prices object and tier.
 */
export function pricesForTier(prices: ModelPrices, tier: string | undefined): ModelPrices {
  if (!isPricedTier(tier)) return prices;
  let byTier = scaled.get(prices);
  if (byTier === undefined) {
    byTier = new Map();
    scaled.set(prices, byTier);
  }
  let result = byTier.get(tier);
  if (result === undefined) {
    const [num, den] = SERVICE_TIER_MULTIPLIERS[tier] as readonly [bigint, bigint];
    result = { ...prices };
    for (const kind of TOKEN_KINDS) {
      const p = prices[kind];
      if (p !== undefined) result[kind] = scale(p, num, den);
    }
    byTier.set(tier, result);
  }
  return result;
}
