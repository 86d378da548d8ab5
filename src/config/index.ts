export { ConfigError, describeValue } from '../core/ConfigError.js';
export type { ConfigErrorDetails } from '../core/ConfigError.js';
export { loadConfig } from './loadConfig.js';
export type { LoadConfigOptions } from './loadConfig.js';
export { parseConfig } from './parseConfig.js';
export { TollgateConfigSchema, TollgateConfigLayerSchema, BudgetSpecSchema, PriceOverrideSchema, applyDefaults } from './schema.js';
export type { TollgateConfig, TollgateConfigInput, TollgateConfigLayer, AlertConfig, RateLimitConfig } from './schema.js';
