import type { TokenUsage } from '../core/TokenUsage.js';
import type { CostBreakdown } from '../pricing/types.js';

/** The pricing the engine needs (PricingCatalog implements it). */
export interface Pricer {
  /**
   * The cost of `usage` with `model`'s prices. Unknown models cost 0 (`model.known` false),
   * or throw UnknownModelError under the 'deny' unknown-model policy.
   */
  cost(usage: TokenUsage, model: string, provider?: string): CostBreakdown;
  /** The cost at the dearest price of each token kind among `provider`'s models (all models when it has none). */
  ceilingCost(usage: TokenUsage, provider?: string): CostBreakdown;
  /** True when `model` has a price (known and local models). */
  isPriced(model: string, provider?: string): boolean;
}
