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

export interface TollgateEventMap {
  usage: UsageEvent;
  threshold: ThresholdEvent;
  budget_exceeded: BudgetExceededEvent;
  reservation_shortfall: ReservationShortfallEvent;
  store_reset: StoreResetEvent;
}

export type TollgateEventName = keyof TollgateEventMap;
export type TollgateListener<E extends TollgateEventName> = (event: TollgateEventMap[E]) => void;
