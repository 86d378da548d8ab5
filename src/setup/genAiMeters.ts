import { createNoopMeter, type MeterProvider } from '@opentelemetry/api';
import { GenAiMeters } from '../metrics/GenAiMeters.js';

/**
 * The GenAI meters on `provider`'s tollgate meter, or undefined when that meter is the API's
 * no-op meter (no meter provider registered): recording into it would be work for nothing.
 */
export function genAiMeters(provider: MeterProvider, version: string): GenAiMeters | undefined {
  const meter = provider.getMeter('tollgate', version);
  return meter === createNoopMeter() ? undefined : new GenAiMeters(meter);
}
