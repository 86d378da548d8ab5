import type { HrTime } from '@opentelemetry/api';

/** An OpenTelemetry high-resolution time ([seconds, nanoseconds]) in milliseconds, as `@opentelemetry/core` computes it. */
export function hrTimeToMilliseconds(time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6;
}
