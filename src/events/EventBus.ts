import { diag } from '@opentelemetry/api';
import type { TollgateEventMap, TollgateEventName, TollgateListener } from './TollgateEvents.js';

/**
 * A small typed event bus. A listener that throws never reaches the emitter: the error goes
 * to `onListenerError` (default: OTel diag), and the other listeners still run.
 */
export class EventBus {
  /** @param onListenerError where a listener's error goes (createTollgate reports it as a problem). */
  constructor(private readonly onListenerError: (event: TollgateEventName, err: unknown) => void = (event, err) => diag.error(`tollgate: a "${event}" listener threw`, err)) {}

  private readonly listeners: { [E in TollgateEventName]: Set<TollgateListener<E>> } = {
    usage: new Set(),
    threshold: new Set(),
    budget_exceeded: new Set(),
    reservation_shortfall: new Set(),
    store_reset: new Set(),
    lease: new Set(),
    rate_limited: new Set(),
    health_check_failed: new Set(),
  };

  /** Subscribe; returns a function that unsubscribes. */
  on<E extends TollgateEventName>(event: E, listener: TollgateListener<E>): () => void {
    const set = this.listeners[event] as Set<TollgateListener<E>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<E extends TollgateEventName>(event: E, payload: TollgateEventMap[E]): void {
    for (const listener of this.listeners[event] as Set<TollgateListener<E>>) {
      try {
        listener(payload);
      } catch (err: unknown) {
        try {
          this.onListenerError(event, err);
        } catch {
          // Reporting the failure must not fail the emitter either.
        }
      }
    }
  }

  listenerCount(event: TollgateEventName): number {
    return this.listeners[event].size;
  }
}
