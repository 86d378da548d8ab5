import type { DoctorCheck } from './doctor.js';

interface UnpricedSeries {
  provider: string;
  model: string;
  calls: number;
  /** Absent from servers before units were reported. */
  units?: { unit: string; calls: number }[];
}

/** `openai/gpt-4o ×3 (code_interpreter)`: the billed units without a price, when it is not the model itself. */
function describeSeries(s: UnpricedSeries): string {
  const units = (s.units ?? []).map((u) => u.unit).filter((u) => u !== 'model');
  return `${s.provider}/${s.model} ×${s.calls}${units.length > 0 ? ` (${units.join(', ')})` : ''}`;
}

/**
 * The `unpriced` check of `tollgate doctor --url`: a running server's `/v1/status`
 * `unpricedCalls` (calls priced by policy instead of price data). Fails when there are any,
 * naming the models (the first ten) and the fix; skipped when the server does not say (no read
 * token, an older server). Sends TOLLGATE_READ_TOKEN (or TOLLGATE_ADMIN_TOKEN) as the bearer token when set.
 */
export async function checkUnpriced(base: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck> {
  let url: URL;
  try {
    url = new URL('/v1/status', base);
  } catch {
    return { name: 'unpriced', status: 'skipped', detail: `--url is not a URL: "${base}"` };
  }
  const token = env.TOLLGATE_READ_TOKEN || env.TOLLGATE_ADMIN_TOKEN;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.status !== 200) return { name: 'unpriced', status: 'skipped', detail: `${url.href} answered ${res.status} (set TOLLGATE_READ_TOKEN to read it)` };
    const body = (await res.json()) as { unpricedCalls?: UnpricedSeries[] };
    const series = body.unpricedCalls;
    if (!Array.isArray(series)) return { name: 'unpriced', status: 'skipped', detail: `${url.href} does not report unpricedCalls` };
    if (series.length === 0) return { name: 'unpriced', status: 'ok', detail: 'every call so far was priced from price data' };
    const total = series.reduce((sum, s) => sum + s.calls, 0);
    const names = series.slice(0, 10).map(describeSeries);
    if (series.length > 10) names.push(`and ${series.length - 10} more`);
    return {
      name: 'unpriced',
      status: 'fail',
      detail:
        `${total} ${total === 1 ? 'call was' : 'calls were'} priced by policy instead of price data: ${names.join(', ')}. ` +
        'Fix: add their prices (pricing.overrides or a pricing file; a unit alone, e.g. code_interpreter_per_call, adds to the price data); see tollgate_unpriced_calls_total',
    };
  } catch (err: unknown) {
    return { name: 'unpriced', status: 'skipped', detail: `${url.href}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
