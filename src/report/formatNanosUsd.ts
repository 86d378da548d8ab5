import type { Nanos } from '../core/money.js';

const DIGITS = 9;

/**
 * Integer nano-USD as a fixed-point decimal string with `decimals` places
 * (0..9), rounded half away from zero using integer arithmetic only — no float
 * ever touches the amount. `formatNanosUsd(123_456_789, 4)` → "0.1235";
 * with 9 decimals the result is exact: "0.123456789".
 */
export function formatNanosUsd(nanos: Nanos, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > DIGITS) {
    throw new RangeError(`formatNanosUsd: decimals must be an integer 0..9, got ${String(decimals)}`);
  }
  if (!Number.isSafeInteger(nanos)) {
    throw new RangeError(`formatNanosUsd: expected a safe integer number of nanos, got ${String(nanos)}`);
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
