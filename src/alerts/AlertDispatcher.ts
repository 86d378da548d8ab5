import { diag } from '@opentelemetry/api';
import type { EventBus } from '../events/EventBus.js';
import type { BudgetExceededEvent, HealthCheckFailedEvent, LeaseEvent, RateLimitedEvent, StoreResetEvent, ThresholdEvent } from '../events/TollgateEvents.js';
import { ALERT_KINDS, DEFAULT_ALERT_KINDS } from './Alert.js';
import type { Alert, AlertKind } from './Alert.js';
import type { AlertSink } from './AlertSink.js';

/** One sink and the event kinds it receives. */
export interface AlertRoute {
  sink: AlertSink;
  /** Default: `threshold`, `budget_exceeded`, `health_check_failed` and `store_reset` (`lease` and `rate_limited` only when named). */
  events?: readonly AlertKind[];
}

/** Options of `AlertDispatcher`. */
export interface AlertDispatcherOptions {
  /** The sinks and what each receives. */
  routes: readonly AlertRoute[];
  /**
   * A `budget_exceeded` alert for the same budget, key, action and models (and a
   * `rate_limited` alert for the same provider, limit and action) is sent
   * at most once per this many ms, measured on the events' own `time` (so a
   * budget that denies every call does not flood a channel). 0 sends every one.
   * Default 60000.
   */
  repeatExceededAfterMs?: number;
  /** How many recent alerts are remembered to drop exact duplicates. Default 1000. */
  dedupeSize?: number;
}

/** What the dispatcher did so far. */
export interface AlertDispatcherStats {
  /** Alerts handed to at least one sink. */
  dispatched: number;
  /** Exact duplicates dropped (the same event emitted twice). */
  duplicates: number;
  /** `budget_exceeded` alerts held back by `repeatExceededAfterMs`. */
  suppressed: number;
}

/**
 * Subscribes alert sinks to an `EventBus`.
 *
 * "One alert per threshold per window" is the budget engine's job (it emits a
 * threshold event once per budget, key and window); the dispatcher only makes
 * sure it never adds duplicates: the same event (same object, or identical
 * fields) emitted twice reaches the sinks once.
 */
export class AlertDispatcher {
  private readonly routes: ReadonlyArray<{ sink: AlertSink; kinds: ReadonlySet<AlertKind> }>;
  private readonly repeatExceededAfterMs: number;
  private readonly dedupeSize: number;
  private readonly seen = new Map<string, true>();
  private readonly lastExceeded = new Map<string, number>();
  private readonly unsubscribe: Array<() => void>;
  private readonly counts: AlertDispatcherStats = { dispatched: 0, duplicates: 0, suppressed: 0 };
  private shutdownPromise: Promise<void> | undefined;

  /** @throws Error naming the bad option when a route or number is invalid. */
  constructor(bus: EventBus, options: AlertDispatcherOptions) {
    this.repeatExceededAfterMs = options.repeatExceededAfterMs ?? 60_000;
    this.dedupeSize = options.dedupeSize ?? 1000;
    if (!Number.isFinite(this.repeatExceededAfterMs) || this.repeatExceededAfterMs < 0) {
      throw new Error(
        `tollgate: AlertDispatcher option "repeatExceededAfterMs" must be a number >= 0, got ${String(this.repeatExceededAfterMs)}; use 0 to send every alert`,
      );
    }
    if (!Number.isInteger(this.dedupeSize) || this.dedupeSize < 1) {
      throw new Error(
        `tollgate: AlertDispatcher option "dedupeSize" must be an integer >= 1, got ${String(this.dedupeSize)}; e.g. 1000`,
      );
    }
    this.routes = options.routes.map((route, i) => {
      const kinds = route.events ?? DEFAULT_ALERT_KINDS;
      for (const kind of kinds) {
        if (!ALERT_KINDS.includes(kind)) {
          throw new Error(
            `tollgate: AlertDispatcher option "routes[${i}].events" has unknown kind ${JSON.stringify(kind)}; use ${ALERT_KINDS.map((k) => `"${k}"`).join(' or ')}`,
          );
        }
      }
      return { sink: route.sink, kinds: new Set(kinds) };
    });
    this.unsubscribe = [
      bus.on('threshold', (event: ThresholdEvent) => this.dispatch({ kind: 'threshold', ...event })),
      bus.on('budget_exceeded', (event: BudgetExceededEvent) => this.dispatch({ kind: 'budget_exceeded', ...event })),
      bus.on('health_check_failed', (event: HealthCheckFailedEvent) => this.dispatch({ kind: 'health_check_failed', ...event })),
      bus.on('store_reset', (event: StoreResetEvent) => this.dispatch({ kind: 'store_reset', ...event })),
      bus.on('lease', (event: LeaseEvent) => this.dispatch({ kind: 'lease', ...event })),
      bus.on('rate_limited', (event: RateLimitedEvent) => this.dispatch({ kind: 'rate_limited', ...event })),
    ];
  }

  /** Counters so far. */
  stats(): AlertDispatcherStats {
    return { ...this.counts };
  }

  /** Waits for every sink's in-flight deliveries. Never rejects. */
  async flush(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.sink.flush().catch(logSinkError)));
  }

  /** Unsubscribes from the bus, then shuts every sink down. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      for (const off of this.unsubscribe) off();
      await Promise.all(this.routes.map((route) => route.sink.shutdown().catch(logSinkError)));
    })();
    return this.shutdownPromise;
  }

  private dispatch(alert: Alert): void {
    const fingerprint = fingerprintOf(alert);
    if (this.seen.has(fingerprint)) {
      this.counts.duplicates++;
      return;
    }
    remember(this.seen, fingerprint, true, this.dedupeSize);
    if ((alert.kind === 'budget_exceeded' || alert.kind === 'rate_limited') && this.repeatExceededAfterMs > 0) {
      const key =
        alert.kind === 'budget_exceeded'
          ? JSON.stringify([alert.budgetId, alert.key, alert.action, alert.model ?? null, alert.fallbackModel ?? null])
          : JSON.stringify(['rate_limited', alert.provider, alert.limit, alert.action]);
      const last = this.lastExceeded.get(key);
      if (last !== undefined && Math.abs(alert.time - last) < this.repeatExceededAfterMs) {
        this.counts.suppressed++;
        return;
      }
      remember(this.lastExceeded, key, alert.time, this.dedupeSize);
    }
    let sent = false;
    for (const route of this.routes) {
      if (!route.kinds.has(alert.kind)) continue;
      try {
        route.sink.send(alert);
        sent = true;
      } catch (err: unknown) {
        diag.error('tollgate: an alert sink threw from send()', err);
      }
    }
    if (sent) this.counts.dispatched++;
  }
}

/** Identical fields (in any order) give the same fingerprint. */
function fingerprintOf(alert: Alert): string {
  const entries = Object.entries(alert).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/** Insert or refresh, evicting the oldest entry beyond `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
}

function logSinkError(err: unknown): void {
  diag.error('tollgate: an alert sink rejected from flush()/shutdown()', err);
}
