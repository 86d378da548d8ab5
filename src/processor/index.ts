export { BudgetSpanProcessor } from './BudgetSpanProcessor.js';
export type { BudgetSpanProcessorOptions, SpanPricer, UsageMeterSink, UsageMetricsSink } from './BudgetSpanProcessor.js';
export { installFetchGuard } from './FetchGuard.js';
export type { GuardSource } from './FetchGuard.js';
export { isBillable, readCallAttributes } from './readCallAttributes.js';
export { inferProvider, pricingProvider } from '../pricing/providerNames.js';
export type { CallAttributes } from './readCallAttributes.js';
