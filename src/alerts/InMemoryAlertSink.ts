import type { Alert } from './Alert.js';
import type { AlertSink } from './AlertSink.js';

/**
 * An `AlertSink` that keeps alerts in memory, for tests and for embedding
 * (as `InMemorySpanExporter` is to `SpanExporter`).
 */
export class InMemoryAlertSink implements AlertSink {
  private readonly received: Alert[] = [];
  private stopped = false;

  /** Records the alert, unless the sink was shut down. */
  send(alert: Alert): void {
    if (this.stopped) return;
    this.received.push(alert);
  }

  /** Nothing is ever in flight: resolves at once. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops recording new alerts; the ones received stay readable. Idempotent. */
  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  /** A copy of the alerts received so far, oldest first. */
  getAlerts(): Alert[] {
    return [...this.received];
  }

  /** Forget the alerts received so far. */
  reset(): void {
    this.received.length = 0;
  }
}
