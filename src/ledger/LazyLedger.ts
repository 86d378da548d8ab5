import type { Bucket, BucketSeed, BucketState, LeaseStatus, Ledger, RecordQuery, ReserveRequest, ReserveResult, ResetRecord, StoredBudget, UsageGroup, UsageQuery } from './Ledger.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import type { RedisLedger } from './redis/RedisLedger.js';
import type { RedisLedgerOptions } from './redis/RedisLedgerOptions.js';

/**
 * A Redis ledger opened on first use. The Redis adapter (and ioredis) is loaded with a
 * dynamic import only when a `redis://` store is used, so services that never use Redis
 * never load it, and opening a store stays synchronous. Takes the RedisLedger's own
 * options; every method waits for the ledger, then answers as it does.
 */
export class LazyLedger implements Ledger {
  private inner: Promise<RedisLedger> | undefined;
  /** The ledger once opened (for what must answer synchronously). */
  private opened: RedisLedger | undefined;

  constructor(private readonly options: RedisLedgerOptions) {}

  private get(): Promise<RedisLedger> {
    this.inner ??= import('./redis/RedisLedger.js').then(({ RedisLedger }) => (this.opened = new RedisLedger(this.options)));
    return this.inner;
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    return (await this.get()).reserve(req);
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    return (await this.get()).settle(record, buckets);
  }

  async seed(seeds: readonly BucketSeed[]): Promise<string[]> {
    return (await this.get()).seed(seeds);
  }

  async release(id: string): Promise<void> {
    return (await this.get()).release(id);
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    return (await this.get()).bucketStates(buckets, now);
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    return (await this.get()).usage(query);
  }

  async records(query: RecordQuery): Promise<UsageRecord[]> {
    return (await this.get()).records(query);
  }

  async prune(before: number): Promise<number> {
    return (await this.get()).prune(before);
  }

  async listBudgets(): Promise<StoredBudget[]> {
    return (await this.get()).listBudgets();
  }

  async putBudget(budget: StoredBudget): Promise<void> {
    return (await this.get()).putBudget(budget);
  }

  async deleteBudget(id: string): Promise<boolean> {
    return (await this.get()).deleteBudget(id);
  }

  async resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void> {
    return (await this.get()).resetBuckets(reset, bucketKeys);
  }

  async resets(limit?: number): Promise<ResetRecord[]> {
    return (await this.get()).resets(limit);
  }

  async ping(): Promise<void> {
    return (await this.get()).ping();
  }

  /** Replays the Redis ledger's journal of settlements it did not take (see RedisLedger.flush); nothing when never used. */
  async flush(): Promise<void> {
    if (this.inner === undefined) return;
    await (await this.inner).flush?.();
  }

  /** The Redis ledger's leases; none before it was first used. */
  leases(): LeaseStatus[] {
    return this.opened?.leases?.() ?? [];
  }

  /** Idempotent; nothing to do when the ledger was never used. */
  async close(): Promise<void> {
    if (this.inner === undefined) return;
    return (await this.inner).close();
  }
}
