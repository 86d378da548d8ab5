import { nanosToUsd } from '../core/money.js';
import type { SettledCall, SettledCallSink } from '../budget/CallTypes.js';
import type { EventBus } from '../events/EventBus.js';
import type { GenAiMeters } from '../metrics/GenAiMeters.js';
import type { TollgateMetrics } from '../metrics/TollgateMetrics.js';

/** Prometheus: counts, tokens and cost of every settled call, and the shortfall of calls that cost more than they reserved. */
export function prometheusSink(metrics: TollgateMetrics): SettledCallSink {
  return {
    settled(call: SettledCall): void {
      metrics.recordUsage(call.record, call.durationSeconds);
      if (call.shortfallNanos > 0) metrics.recordShortfall(call.record.provider, call.record.model, call.shortfallNanos);
      if (isUnpriced(call)) metrics.recordUnpriced(call.record.provider, call.record.model, unpricedUnitsOf(call));
    },
  };
}

/**
 * A call priced by policy instead of price data: its model has no price (charged $0 or at the
 * ceiling), or it used a billed unit its model has no price for (charged as text, or not at all).
 */
export function isUnpriced(call: SettledCall): boolean {
  if (call.priceSource === 'unknown' || call.priceSource === 'ceiling') return true;
  return call.cost?.unpricedUnits !== undefined && call.cost.unpricedUnits.length > 0;
}

/** What made a call unpriced: `model` when its model has no price, then the billed units without one. */
export function unpricedUnitsOf(call: SettledCall): string[] {
  const units = call.priceSource === 'unknown' || call.priceSource === 'ceiling' ? ['model'] : [];
  return [...units, ...(call.cost?.unpricedUnits ?? [])];
}

/** OTel GenAI metrics (`gen_ai.client.*` and `tollgate.cost`), on whichever meters are current. */
export function otelMetricsSink(meters: () => GenAiMeters | undefined): SettledCallSink {
  return {
    settled(call: SettledCall): void {
      meters()?.record(call.record, { durationSeconds: call.durationSeconds, stream: call.stream, clientMetricsElsewhere: call.clientMetricsElsewhere });
    },
  };
}

/** The `usage` event for every settled call (only built when someone listens). */
export function usageEventSink(events: EventBus): SettledCallSink {
  return {
    settled(call: SettledCall): void {
      if (events.listenerCount('usage') === 0) return;
      const durationMs = call.durationSeconds === undefined ? undefined : Math.round(call.durationSeconds * 1000);
      events.emit('usage', { record: call.record, costUsd: nanosToUsd(call.record.costNanos), ...(durationMs !== undefined ? { durationMs } : {}) });
    },
  };
}
