import { diag } from '@opentelemetry/api';
import type { TollgateEventMap, TollgateEventName, TollgateListener } from './TollgateEvents.js';

/**
 * A small typed event bus. A listener that throws never reaches the emitter:
 * the error goes to OTel diag, and the other listeners still run.
 */
export class EventBus {
  private readonly listeners: { [E in TollgateEventName]: Set<TollgateListener<E>> } = {
    usage: new Set(),
    threshold: new Set(),
    budget_exceeded: new Set(),
    reservation_shortfall: new Set(),
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
        diag.error(`tollgate: a "${event}" listener threw`, err);
      }
    }
  }

  listenerCount(event: TollgateEventName): number {
    return this.listeners[event].size;
  }
}
