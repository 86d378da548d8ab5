import type { BudgetExceededEvent, HealthCheckFailedEvent, LeaseEvent, RateLimitedEvent, StoreResetEvent, ThresholdEvent } from '../events/TollgateEvents.js';

/** The event kinds that can become alerts. */
export type AlertKind = 'threshold' | 'budget_exceeded' | 'health_check_failed' | 'store_reset' | 'lease' | 'rate_limited';

/** Every alert kind, in a stable order (for config validation). */
export const ALERT_KINDS: readonly AlertKind[] = ['threshold', 'budget_exceeded', 'health_check_failed', 'store_reset', 'lease', 'rate_limited'];

/**
 * The kinds a sink receives when its config names none: all but `rate_limited` (which can be
 * frequent) and `lease` (one per counter and outage, beside the outage's own health alert): ask for those.
 */
export const DEFAULT_ALERT_KINDS: readonly AlertKind[] = ['threshold', 'budget_exceeded', 'health_check_failed', 'store_reset'];

/** A threshold crossing, tagged with its kind. */
export type ThresholdAlert = { kind: 'threshold' } & ThresholdEvent;

/** A call that did not fit a budget (denied, warned or re-routed), tagged with its kind. */
export type BudgetExceededAlert = { kind: 'budget_exceeded' } & BudgetExceededEvent;

/** tollgate's health check failed (the store unreachable, no price data). */
export type HealthCheckFailedAlert = { kind: 'health_check_failed' } & HealthCheckFailedEvent;

/** The store lost tollgate's data (Redis restarted without persistence, flushed, failed over to an empty replica). */
export type StoreResetAlert = { kind: 'store_reset' } & StoreResetEvent;

/** A process started admitting calls from its lease because the store could not be reached. */
export type LeaseAlert = { kind: 'lease' } & LeaseEvent;

/** A provider's rate limit held a call back. */
export type RateLimitedAlert = { kind: 'rate_limited' } & RateLimitedEvent;

/** What an `AlertSink` delivers: an event with a `kind` field. */
export type Alert = ThresholdAlert | BudgetExceededAlert | HealthCheckFailedAlert | StoreResetAlert | LeaseAlert | RateLimitedAlert;
