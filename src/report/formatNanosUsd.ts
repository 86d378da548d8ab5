import type { Nanos } from '../core/money.js';

const DIGITS = 9;

/**
 * Integer nano-USD as a fixed-point decimal string with `decimals` places
 * (0..9), rounded half away from zero using integer arithmetic only — no float
 * ever touches the amount. `formatNanosUsd(123_456_789, 4)` → "0.1235";
 * with 9 decimals the result is exact: "0.123456789". Integers beyond
 * Number.MAX_SAFE_INTEGER (limits above ~$9M, up to MAX_BUDGET_USD) are printed as the
 * integer the double holds: `formatNanosUsd(1e21, 2)` → "1000000000000.00".
 */
export function formatNanosUsd(nanos: Nanos, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > DIGITS) {
    throw new RangeError(`formatNanosUsd: decimals must be an integer 0..9, got ${String(decimals)}`);
  }
  if (!Number.isInteger(nanos)) {
    throw new RangeError(`formatNanosUsd: expected an integer number of nanos, got ${String(nanos)}`);
  }
  const negative = nanos < 0;
  const abs = BigInt(Math.abs(nanos));
  const step = 10n ** BigInt(DIGITS - decimals);
  let units = abs / step;
  if ((abs % step) * 2n >= step) units += 1n;
  const scale = 10n ** BigInt(decimals);
  const whole = (units / scale).toString();
  const frac = decimals > 0 ? `.${(units % scale).toString().padStart(decimals, '0')}` : '';
  return `${negative && units !== 0n ? '-' : ''}${whole}${frac}`;
}
