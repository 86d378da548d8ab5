export { RATE_LIMIT_WINDOW_MS, RateLimiter } from './RateLimiter.js';
export type { ProviderRateLimit, RateLimiterOptions } from './RateLimiter.js';
export { RateLimitError } from './RateLimitError.js';
export type { RateLimitDetails, RateLimitKind, RateLimitReason } from './RateLimitError.js';
export type { RateLimitStatus, RateLimitUse } from './RateLimitStatus.js';
export type { RateLimitCheck, RateLimitedInfo } from './RateLimitCheck.js';
