import type { Nanos } from '../core/money.js';
import { formatNanosUsd } from './formatNanosUsd.js';

/**
 * Money for people: `$` and 4 decimals, rounded from exact nanos ("$0.0697").
 * A non-zero amount too small to show reads "<$0.0001" rather than "$0.0000".
 */
export function displayUsd(nanos: Nanos): string {
  const text = formatNanosUsd(nanos, 4);
  if (nanos > 0 && text === '0.0000') return '<$0.0001';
  return nanos < 0 ? `-$${text.slice(1)}` : `$${text}`;
}
