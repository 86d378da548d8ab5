import type { Alert, BudgetExceededAlert, ThresholdAlert } from './Alert.js';

/**
 * The generic JSON webhook body: the event's own fields, its `kind`, the
 * optional service name, and `time` as an ISO-8601 UTC string.
 *
 * e.g. `{ "kind": "threshold", "budgetId": "daily", "scope": "daily", "key": "global",
 *   "threshold": 0.8, "spentUsd": 16, "limitUsd": 20, "time": "2026-11-23T12:00:00.000Z",
 *   "service": "checkout" }`
 */
export type WebhookPayload = (Omit<ThresholdAlert, 'time'> | Omit<BudgetExceededAlert, 'time'>) & {
  /** ISO-8601 UTC. */
  time: string;
  service?: string;
};

/** Build the generic JSON webhook body for one alert (a pure function). */
export function webhookPayload(alert: Alert, service?: string): WebhookPayload {
  return {
    ...alert,
    time: new Date(alert.time).toISOString(),
    ...(service !== undefined ? { service } : {}),
  };
}
