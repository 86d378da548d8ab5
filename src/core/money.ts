/** Integer nano-USD: money is always an integer number of nano-dollars inside tollgate. */
export type Nanos = number;

/** Nano-USD in one USD. */
export const NANOS_PER_USD = 1_000_000_000;

/**
 * The largest budget limit accepted anywhere (config, API, CLI, stored budgets): 1e15 USD
 * (1e24 nano-USD). Limits above Number.MAX_SAFE_INTEGER nanos (about $9,007,199.25) are held
 * as integer-valued doubles; every amount charged against them (reservations, settled costs)
 * is an exact integer, so a comparison of an exact sum with such a limit is exact.
 */
export const MAX_BUDGET_USD = 1e15;

/**
 * Sums of nano-USD are exact up to this many (2^53 - 1, $9,007,199.254740991) per counter;
 * beyond it a sum is the nearest double (within one part in 2^52).
 */
export const MAX_EXACT_NANOS = Number.MAX_SAFE_INTEGER;

/** Integer nano-USD → float USD (for the edges: span attributes, metrics, JSON output). */
export function nanosToUsd(n: Nanos): number {
  return n / NANOS_PER_USD;
}

/**
 * Float USD → integer nano-USD, rounded to the nearest nano (half away from zero).
 * Throws a RangeError for NaN, infinities and amounts whose nanos are not finite (above ~1.8e299 USD).
 */
export function usdToNanos(usd: number): Nanos {
  const scaled = usd * NANOS_PER_USD;
  if (!Number.isFinite(scaled)) {
    throw new RangeError(`usdToNanos: expected a finite number of USD (at most 1e15 for a budget), got ${String(usd)}`);
  }
  const rounded = Math.sign(scaled) * Math.round(Math.abs(scaled));
  return rounded === 0 ? 0 : rounded;
}

/**
 * Exact decimal rendering of integer nano-USD, e.g. 18_000_000_000 → "$18.00",
 * 150_000 → "$0.00015". At least two decimals, trailing zeros beyond them trimmed.
 */
export function formatUsd(nanos: Nanos): string {
  const negative = nanos < 0;
  const abs = BigInt(Math.abs(Math.round(nanos)));
  const whole = abs / 1_000_000_000n;
  let frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${negative ? '-' : ''}$${whole.toString()}.${frac}`;
}
