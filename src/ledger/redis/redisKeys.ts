/** Names of every Redis key the ledger uses, all under one prefix. */
export interface RedisKeys {
  /** Settled spend of a bucket (hash). */
  bucket(bucketKey: string): string;
  /** Live reservations held against a bucket (zset scored by expiresAt). */
  reservations(bucketKey: string): string;
  /** Sum of the amounts in `reservations(bucketKey)` (string integer). */
  reservedTotal(bucketKey: string): string;
  /** One reservation: amount, expiry and the zsets it sits in (hash). */
  reservation(id: string): string;
  /** Marker that a record id was settled (string with TTL). */
  settled(id: string): string;
  /** Usage records (capped stream). */
  readonly records: string;
  /** Rollup of one UTC day's usage (hash). */
  day(dayKey: string): string;
  /** Days that have a rollup (zset scored by the day's start, epoch ms). */
  readonly days: string;
  /** Stored budgets (hash id → JSON). */
  readonly budgets: string;
  /** Ledger-wide values such as the prune watermark (hash). */
  readonly meta: string;
  /** The reset log, newest first (list of JSON). */
  readonly resets: string;
  /** The data's epoch, written once (string): a different value means the data was lost (see StoreEpoch). */
  readonly epoch: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    bucket: (k) => `${prefix}b:${k}`,
    reservations: (k) => `${prefix}r:${k}`,
    reservedTotal: (k) => `${prefix}rt:${k}`,
    reservation: (id) => `${prefix}rv:${id}`,
    settled: (id) => `${prefix}settled:${id}`,
    records: `${prefix}records`,
    day: (d) => `${prefix}day:${d}`,
    days: `${prefix}days`,
    budgets: `${prefix}budgets`,
    meta: `${prefix}meta`,
    resets: `${prefix}resets`,
    epoch: `${prefix}epoch`,
  };
}
