import type { BudgetAction, BudgetScope } from '../core/Budget.js';
import type { UsageRecord } from '../core/UsageRecord.js';

/** Emitted after every settled call. */
export interface UsageEvent {
  record: UsageRecord;
  costUsd: number;
  /** How long the call took, ms, when known. */
  durationMs?: number;
}

/** Emitted once per budget, key and window when spend crosses a threshold fraction. */
export interface ThresholdEvent {
  budgetId: string;
  scope: BudgetScope;
  key: string;
  /** The crossed fraction, e.g. 0.8. */
  threshold: number;
  spentUsd: number;
  limitUsd: number;
  /** Epoch ms. */
  time: number;
}

/** Emitted when a call did not fit a budget: denied, warned or re-routed. */
export interface BudgetExceededEvent {
  budgetId: string;
  scope: BudgetScope;
  key: string;
  action: BudgetAction;
  spentUsd: number;
  limitUsd: number;
  attemptedUsd: number;
  model?: string;
  fallbackModel?: string;
  /** Epoch ms. */
  time: number;
}

/**
 * Emitted when a call cost more than its reservation: the input was under-estimated (images,
 * files, tool schemas) or usage was larger than the worst case. Later reservations of the model
 * use a learned input correction.
 */
export interface ReservationShortfallEvent {
  callId: string;
  provider: string;
  model: string;
  /** Input tokens the estimator counted. */
  estimatedInputTokens: number;
  /** Input tokens the reservation assumed (after the learned correction and margin). */
  reservedInputTokens: number;
  /** Input tokens the provider reported. */
  actualInputTokens: number;
  reservedUsd: number;
  actualUsd: number;
  /** actualUsd - reservedUsd. */
  shortfallUsd: number;
  /** Epoch ms. */
  time: number;
}

/**
 * Emitted when the store lost tollgate's data under it (Redis restarted without persistence,
 * FLUSHALL, a failover to an empty replica): every budget's spend restarted from what the
 * running processes re-added.
 */
export interface StoreResetEvent {
  /** The store's key prefix. */
  keyPrefix: string;
  /** The data epoch this process knew, and the fresh one found. */
  previousEpoch: string;
  epoch: string;
  /** Epoch ms. */
  time: number;
}

/**
 * Emitted when a provider's requests- or tokens-per-minute limit held a call back: it waited
 * (`wait`), was refused (`reject`), or `checkRateLimit()` answered no (`check`).
 */
export interface RateLimitedEvent {
  provider: string;
  /** Which limit: requests (`rpm`) or tokens (`tpm`) per minute. */
  limit: 'rpm' | 'tpm';
  /** What happened to the call. */
  action: 'wait' | 'reject' | 'check';
  /** Use of that limit in the current window, and the limit. */
  used: number;
  max: number;
  /** When the window has room for the call, ms from `time` (Infinity when it never will). */
  retryAfterMs: number;
  /** Epoch ms. */
  time: number;
}

/** Emitted when tollgate's health check fails (the store unreachable, no price data), once per failure until it passes again. */
export interface HealthCheckFailedEvent {
  /** The failed checks by name (`store`, `pricing`, `fetchGuard`), each with its error when known. */
  failed: { check: string; error?: string }[];
  /** Epoch ms. */
  time: number;
}

/**
 * Emitted once per outage and counter when a process starts admitting calls from its lease
 * because the store (Redis) cannot be reached (see RedisLedgerOptions `leases`).
 */
export interface LeaseEvent {
  /** The counter (bucket key) the lease is in, and its budget. */
  bucketKey: string;
  budgetId: string;
  /** The lease's amount and what is left of it before this call, in USD. */
  leaseUsd: number;
  remainingUsd: number;
  /** Epoch ms until which the lease may be spent from. */
  usableUntil: number;
  /** Why the store could not answer. */
  reason: string;
  /** Epoch ms. */
  time: number;
}

export interface TollgateEventMap {
  usage: UsageEvent;
  threshold: ThresholdEvent;
  budget_exceeded: BudgetExceededEvent;
  reservation_shortfall: ReservationShortfallEvent;
  store_reset: StoreResetEvent;
  lease: LeaseEvent;
  rate_limited: RateLimitedEvent;
  health_check_failed: HealthCheckFailedEvent;
}

export type TollgateEventName = keyof TollgateEventMap;
export type TollgateListener<E extends TollgateEventName> = (event: TollgateEventMap[E]) => void;
