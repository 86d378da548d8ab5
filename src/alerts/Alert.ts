import type { BudgetExceededEvent, ThresholdEvent } from '../events/TollgateEvents.js';

/** The event kinds that can become alerts. */
export type AlertKind = 'threshold' | 'budget_exceeded';

/** Every alert kind, in a stable order (for config validation and defaults). */
export const ALERT_KINDS: readonly AlertKind[] = ['threshold', 'budget_exceeded'];

/** A threshold crossing, tagged with its kind. */
export type ThresholdAlert = { kind: 'threshold' } & ThresholdEvent;

/** A call that did not fit a budget (denied, warned or re-routed), tagged with its kind. */
export type BudgetExceededAlert = { kind: 'budget_exceeded' } & BudgetExceededEvent;

/** What an `AlertSink` delivers: a threshold or budget-exceeded event with a `kind` field. */
export type Alert = ThresholdAlert | BudgetExceededAlert;
