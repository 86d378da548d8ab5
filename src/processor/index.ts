export { BudgetSpanProcessor, GEN_AI_CLIENT_METRICS_SCOPES } from './BudgetSpanProcessor.js';
export type { BudgetSpanProcessorOptions, TraceSink } from './BudgetSpanProcessor.js';
export { fetchGuardStatus, installFetchGuard, reassertFetchGuard } from './FetchGuard.js';
export type { GuardSource, GuardVerdict } from './FetchGuard.js';
export { isBillable, readCallAttributes } from './readCallAttributes.js';
export { inferProvider, pricingProvider } from '../pricing/providerNames.js';
export type { CallAttributes } from './readCallAttributes.js';
