export { PricingCatalog } from './PricingCatalog.js';
export type { PricingOptions } from './PricingCatalog.js';
export type { PriceRow } from './priceRow.js';
export { UnknownModelError } from '../core/UnknownModelError.js';
export type { PriceOverride } from './PriceOverride.js';
export { nanosToUsd, usdToNanos, formatUsd, NANOS_PER_USD } from '../core/money.js';
export { SEED_MODELS } from './seedModels.js';
export type { TokenUsage, ResolvedModel, CostBreakdown, UnknownModelPolicy } from './types.js';
