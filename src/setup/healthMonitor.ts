import type { EventBus } from '../events/EventBus.js';
import type { HealthCheck } from './healthCheck.js';

/** The result of one run of the health checks (what /healthz answers). */
export interface HealthResult {
  ok: boolean;
  checks: Record<string, HealthCheck>;
}

/** Options of `healthMonitor`. */
export interface HealthMonitorOptions {
  events: EventBus;
  clock: () => number;
  /** Run the checks this often, ms; 0 only when /healthz is asked. Default 60000. */
  intervalMs?: number;
}

/** A health check that announces its failures, and the timer that runs it. */
export interface HealthMonitor {
  /** Runs the checks (what /healthz calls); a failure after a pass (or the first one) emits `health_check_failed`. */
  check(): Promise<HealthResult>;
  stop(): void;
}

/**
 * Runs `run` every `intervalMs` (and whenever /healthz asks) and emits `health_check_failed`
 * when it starts failing (the store unreachable, no price data): once per failure, again only
 * after a pass, or when the set of failed checks changes. The timer never keeps the process alive.
 */
export function healthMonitor(run: () => Promise<HealthResult>, options: HealthMonitorOptions): HealthMonitor {
  let failing = '';
  const check = async (): Promise<HealthResult> => {
    const result = await run();
    const failed = Object.entries(result.checks)
      .filter(([, c]) => !c.ok)
      .map(([name, c]) => (c.error !== undefined ? { check: name, error: c.error } : { check: name }));
    const names = failed.map((f) => f.check).join(',');
    if (names !== '' && names !== failing) options.events.emit('health_check_failed', { failed, time: options.clock() });
    failing = names;
    return result;
  };
  const intervalMs = options.intervalMs ?? 60_000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          check().catch(() => undefined); // the checks catch their own failures; nothing to add here
        }, intervalMs)
      : undefined;
  timer?.unref();
  return { check, stop: () => clearInterval(timer) };
}
