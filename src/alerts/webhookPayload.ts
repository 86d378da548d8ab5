import type { Alert } from './Alert.js';

/**
 * The generic JSON webhook body: the event's own fields, its `kind`, the
 * optional service name, and `time` as an ISO-8601 UTC string.
 *
 * e.g. `{ "kind": "threshold", "budgetId": "daily", "scope": "daily", "key": "global",
 *   "threshold": 0.8, "spentUsd": 16, "limitUsd": 20, "time": "2026-11-23T12:00:00.000Z",
 *   "service": "checkout" }`
 */
export type WebhookPayload = DistributiveOmit<Alert, 'time'> & {
  /** ISO-8601 UTC. */
  time: string;
  service?: string;
};

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Build the generic JSON webhook body for one alert (a pure function). */
export function webhookPayload(alert: Alert, service?: string): WebhookPayload {
  return {
    ...alert,
    time: new Date(alert.time).toISOString(),
    ...(service !== undefined ? { service } : {}),
  };
}
