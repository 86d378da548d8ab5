import type { Ledger } from '../ledger/Ledger.js';
import { fetchGuardStatus } from '../processor/FetchGuard.js';

/** One named check of /healthz. */
export interface HealthCheck {
  ok: boolean;
  error?: string;
}

/**
 * The /healthz checks: price data loaded, the store answering, and (when tollgate guards
 * `fetch`) whether the guard still sees other instrumentations' requests.
 */
export function healthCheck(deps: { pricesLoaded: () => boolean; ledger: Ledger; guardFetch: boolean }): () => Promise<{ ok: boolean; checks: Record<string, HealthCheck> }> {
  return async () => {
    const checks: Record<string, HealthCheck> = { pricing: { ok: deps.pricesLoaded() } };
    if (deps.guardFetch) {
      const guard = fetchGuardStatus();
      checks.fetchGuard = guard.displaced
        ? { ok: false, error: "globalThis.fetch was replaced after tollgate's guard (nock, msw, another instrumentation?): other instrumentations' denied calls may be sent from clients created before that" }
        : { ok: guard.installed };
    }
    try {
      await deps.ledger.ping();
      checks.store = { ok: true };
    } catch (err: unknown) {
      checks.store = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  };
}
