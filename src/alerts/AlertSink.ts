import type { Alert } from './Alert.js';

/**
 * Where alerts go (a Slack channel, a JSON webhook, an in-memory list in tests).
 *
 * The contract protects the call path: `send` is called from inside the budget
 * processor while an LLM call is being settled, so it must return at once and
 * never throw; delivery happens in the background, and failures are reported
 * through OTel `diag` and counted by the sink.
 */
export interface AlertSink {
  /**
   * Queue one alert for delivery. Never blocks (no I/O happens before it
   * returns) and never throws. Alerts sent after `shutdown()` are dropped.
   */
  send(alert: Alert): void;

  /**
   * Resolves when every alert queued so far has been delivered or has failed
   * for good (retries exhausted). Never rejects.
   */
  flush(): Promise<void>;

  /**
   * Flush, then stop accepting alerts and release resources. Idempotent: later
   * calls return the same promise. Never rejects.
   */
  shutdown(): Promise<void>;
}
