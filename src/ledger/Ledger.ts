/**
 * The Ledger contract: where reservations and settled usage live.
 *
 * Money is always an integer number of nano-USD (1 USD = 1_000_000_000 nanos);
 * floats appear only at the edges (span attributes, metrics, reports).
 *
 * Only `reserve` may answer synchronously: the memory store does; SQLite (group commit:
 * the operations of one event-loop turn share one transaction) and Redis answer with a
 * promise, and the engine decides when it resolves. Every other method returns a promise.
 * The memory store does its work at call time and returns a settled promise. SQLite
 * resolves a settlement's promise once its transaction has committed (what survives a
 * SIGKILL); bucket, usage and record reads see every operation issued before them.
 */

export type { Nanos } from '../core/money.js';
export type { MaybePromise } from '../core/maybePromise.js';
export type { UsageRecord, UsageStatus } from '../core/UsageRecord.js';
import type { Nanos } from '../core/money.js';
import type { MaybePromise } from '../core/maybePromise.js';
import type { UsageRecord } from '../core/UsageRecord.js';

/**
 * One counter a reservation is checked against: one budget applied to one key
 * (a task id, a session id, "global"...) in one window.
 */
export interface Bucket {
  /**
   * Stable identity of the counter. For calendar windows it includes the window
   * start, e.g. `daily-cap|global|2026-11-23`, so a new day is a new counter.
   */
  key: string;
  /** Id of the budget this bucket belongs to. */
  budgetId: string;
  limitNanos: Nanos;
  /**
   * true: a reservation fails when this bucket would go over its limit
   * (deny and fallback budgets). false: tracked only (warn budgets).
   */
  enforce: boolean;
  /**
   * Rolling windows: the window length in ms. The bucket's spend is what was
   * settled into it during (now - rollingMs, now]. Undefined: the counter only grows.
   */
  rollingMs?: number;
  /** Epoch ms after which the counter can be forgotten (end of a calendar window). */
  expiresAt?: number;
}

/** A bucket's state as the ledger sees it. */
export interface BucketState {
  key: string;
  budgetId: string;
  limitNanos: Nanos;
  /** Settled spend in the bucket's window. */
  spentNanos: Nanos;
  /** Sum of live (unsettled, unexpired) reservations held against the bucket. */
  reservedNanos: Nanos;
}

export interface ReserveRequest {
  /** Reservation id (unique per call; the span id is a good choice). */
  id: string;
  amountNanos: Nanos;
  buckets: readonly Bucket[];
  /** Epoch ms: the ledger's notion of "now" (injected clock). */
  now: number;
  /** Epoch ms after which an unsettled reservation no longer counts. */
  expiresAt: number;
}

export type ReserveResult =
  | { ok: true; states: BucketState[] }
  | {
      ok: false;
      /** The first enforced bucket that the amount did not fit in (state before the attempt). */
      failed: BucketState;
      states: BucketState[];
    };

/** One of the attribution dimensions: `user`, `team`, `apiKey` (its hash), `tag` (a call with two tags counts in both groups), `metadata.<key>`. */
export type AttributionGroupBy = 'user' | 'team' | 'apiKey' | 'tag' | `metadata.${string}`;

export type UsageGroupBy = 'model' | 'provider' | 'task' | 'session' | 'agent' | 'day' | 'month' | 'operation' | 'status' | AttributionGroupBy;

/**
 * Equality filters of a usage query: the record fields, and the attribution dimensions (`apiKey`
 * takes the key or its hash; `tag` matches records carrying that tag; `metadata.<key>` one metadata value).
 */
export type UsageWhere = Partial<Pick<UsageRecord, 'provider' | 'model' | 'task' | 'session' | 'agent' | 'operation' | 'status'>> & {
  user?: string;
  team?: string;
  apiKey?: string;
  tag?: string;
  [metadata: `metadata.${string}`]: string | undefined;
};

export interface UsageQuery {
  /** Inclusive epoch ms. */
  since?: number;
  /** Exclusive epoch ms. */
  until?: number;
  /** `day` is `YYYY-MM-DD`, `month` `YYYY-MM` (UTC). An unknown value rejects with a TypeError (see assertGroupBy). */
  by: UsageGroupBy;
  /** Optional equality filters. */
  where?: UsageWhere;
}

export interface UsageGroup {
  /** Group key; '' when the field was absent on the records. For `day`: YYYY-MM-DD (UTC). */
  key: string;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costNanos: Nanos;
}

export interface RecordQuery {
  since?: number;
  until?: number;
  traceId?: string;
  task?: string;
  session?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** Spend a bucket's window already holds, for `Ledger.seed`: `nanos` settled at `time` (a rolling window counts it from then). */
export interface BucketSeed {
  bucket: Bucket;
  nanos: Nanos;
  time: number;
}

/** A budget as stored by the ledger (runtime add / remove survive restarts). */
export interface StoredBudget {
  id: string;
  /** The budget's definition, as JSON-serialisable data. */
  spec: Record<string, unknown>;
}

/** A reset of budget counters as the ledger records it (who and when; see `Ledger.resetBuckets`). */
export interface ResetRecord {
  /** What was reset: `session:<id>`, or `all`. */
  target: string;
  /** Who asked for it (free text: a user, `api`, `cli`, `http`). */
  actor: string;
  /** Epoch ms. */
  time: number;
}

/** A lease as a store reports it (`Ledger.leases()`). */
export interface LeaseStatus {
  bucketKey: string;
  budgetId: string;
  /** What the lease holds in the store, and what is left of it for this process during an outage (USD). */
  leaseUsd: number;
  remainingUsd: number;
  /** Whether calls may be admitted from it now (before its `usableUntil`, inside its window). */
  usable: boolean;
  /** Epoch ms. */
  usableUntil: number;
  /** Calls were admitted from it during the current outage. */
  spentFrom: boolean;
}

export interface Ledger {
  /**
   * Atomically reserve `amountNanos` in every bucket of the request, or in none.
   * Fails when an enforced bucket's spent + reserved + amount would exceed its limit.
   * Non-enforced buckets are always charged. Reserving an id again replaces its reservation.
   *
   * The one method that may answer synchronously (memory); SQLite and Redis answer with a promise.
   */
  reserve(req: ReserveRequest): MaybePromise<ReserveResult>;
  /**
   * Store the record and add its cost to each bucket (at `record.time` for rolling
   * windows). Releases the reservation with the same id if one is live. Idempotent: settling
   * a stored record again (the same id at the same time, as a replay of it is) has no further
   * effect. A record is identified by its time and id, so that the stores' index of records
   * grows at its end (see the SQLite store's schema v5); Redis also ignores the same id at
   * another time within its window of recent ids.
   *
   * Resolves to the state of each bucket (same order) right after the settlement, at
   * `record.time`: what threshold alerts are checked against, without a second read.
   */
  settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]>;
  /** Drop a live reservation without charging anything. Unknown ids are ignored. */
  release(id: string): Promise<void>;
  /** Current state of each bucket at `now`, in request order. */
  bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]>;
  /** Aggregated usage, grouped by one field. */
  usage(query: UsageQuery): Promise<UsageGroup[]>;
  /** Raw records, newest first. */
  records(query: RecordQuery): Promise<UsageRecord[]>;
  /**
   * Delete records older than `before` (epoch ms), keeping per-day rollups so that
   * `usage({ by: 'day' })` and every bucket counter stay right. Resolves to how many were deleted.
   */
  prune(before: number): Promise<number>;
  /** Budgets added at run time, sorted by id. */
  listBudgets(): Promise<StoredBudget[]>;
  /** Stores a budget; one with the same id is replaced. */
  putBudget(budget: StoredBudget): Promise<void>;
  /** Resolves to false when no such budget existed. */
  deleteBudget(id: string): Promise<boolean>;
  /**
   * The settled spend of the buckets `bucketKeys` (every bucket when undefined) starts again from
   * zero, in one step, and `reset` is added to the reset log. Records, usage and rollups are left
   * as they are; live reservations keep holding until settled, released or expired.
   */
  resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void>;
  /** The reset log, newest first; at most `limit` (default 100). */
  resets(limit?: number): Promise<ResetRecord[]>;
  /** Rejects when the store cannot be reached. */
  ping(): Promise<void>;
  /**
   * Starts buckets the store counts nothing in yet at spend settled before their budget existed
   * (a budget added at run time, see BudgetSet.add): for each bucket of `seeds` that holds no
   * settled spend in the store (no counter, or one at zero as a reset leaves it; for a rolling
   * window, no entry), adds every seed of it, each at its time, in one step with that check; a
   * bucket that holds spend is left as it is. Resolves to the keys of the buckets seeded. Optional: without it, a budget added at run
   * time counts from the moment it exists (and tollgate says so).
   */
  seed?(seeds: readonly BucketSeed[]): Promise<string[]>;
  /**
   * Writes what the store has queued now (SQLite: commits the current group). Optional: stores
   * that buffer nothing omit it.
   */
  flush?(): Promise<void>;
  /**
   * The leases this process holds (a share of a counter kept for an outage, see RedisLedgerOptions
   * `leases`). Optional: stores without leases omit it.
   */
  leases?(): LeaseStatus[];
  /** Idempotent. Afterwards every other method fails with LedgerClosedError. */
  close(): Promise<void>;
}
