/**
 * The Redis ledger (subpath export `tollgate/redis`; needs the `ioredis` package). Its
 * parts live in ./redis/.
 */
export { RedisLedger } from './redis/RedisLedger.js';
export type { LeaseSpendEvent, RedisLeaseOptions, RedisLedgerOptions } from './redis/RedisLedgerOptions.js';
export type { LeaseStatus } from './Ledger.js';
export { RedisUnavailableError } from './redis/RedisUnavailableError.js';
export type { RedisUnavailableReason } from './redis/RedisUnavailableError.js';
export { rollingSlotMs } from './redis/rollingSlotMs.js';
export type { RedisPersistence } from './redis/redisPersistence.js';
export type { StoreReset } from './redis/StoreEpoch.js';
