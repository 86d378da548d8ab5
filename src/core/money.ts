/** Integer nano-USD: money is always an integer number of nano-dollars inside tollgate. */
export type Nanos = number;

/** Nano-USD in one USD. */
export const NANOS_PER_USD = 1_000_000_000;

/** Integer nano-USD → float USD (for the edges: span attributes, metrics, JSON output). */
export function nanosToUsd(n: Nanos): number {
  return n / NANOS_PER_USD;
}

/**
 * Float USD → integer nano-USD, rounded to the nearest nano (half away from zero).
 * Throws a RangeError for NaN and infinities.
 */
export function usdToNanos(usd: number): Nanos {
  if (!Number.isFinite(usd)) {
    throw new RangeError(`usdToNanos: expected a finite number of USD, got ${String(usd)}`);
  }
  const scaled = usd * NANOS_PER_USD;
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
