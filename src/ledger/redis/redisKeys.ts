/** Names of every Redis key the ledger uses, all under one prefix. */
export interface RedisKeys {
  /** Settled spend of a bucket (hash). */
  bucket(bucketKey: string): string;
  /** Live reservations held against a bucket (zset scored by expiresAt). */
  reservations(bucketKey: string): string;
  /** Sum of the amounts in `reservations(bucketKey)` (string integer). */
  reservedTotal(bucketKey: string): string;
  /**
   * Every live reservation's record (hash: reservation id → `<amountNanos>|<keep until, server
   * epoch ms>|<JSON list of its zset and total keys, in pairs>`), so that a release by id finds
   * its buckets. A record whose reservation was never settled nor released is swept after its
   * keep time (see sweep_records in luaLibrary.ts).
   */
  readonly reservationRecords: string;
  /**
   * Start of the keys of the settled ids (hash: record id → `1`), one per time slot of
   * `settledTtlMs` of the server's clock: `settledSlots` + slot number. A settlement looks in the
   * current and the previous slot, so an id is known settled for at least `settledTtlMs`; the
   * slot before those is unlinked by the next settlement (or expires a slot later).
   */
  readonly settledSlots: string;
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
  /**
   * The data's epoch, written once (string): a different value means the data was lost (see
   * StoreEpoch). It starts with the key layout the data was written in (see keyLayout.ts).
   */
  readonly epoch: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    bucket: (k) => `${prefix}b:${k}`,
    reservations: (k) => `${prefix}r:${k}`,
    reservedTotal: (k) => `${prefix}rt:${k}`,
    reservationRecords: `${prefix}rvs`,
    settledSlots: `${prefix}sd:`,
    records: `${prefix}records`,
    day: (d) => `${prefix}day:${d}`,
    days: `${prefix}days`,
    budgets: `${prefix}budgets`,
    meta: `${prefix}meta`,
    resets: `${prefix}resets`,
    epoch: `${prefix}epoch`,
  };
}
