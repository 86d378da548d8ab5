import { describe, expect, it } from 'vitest';
import { MAX_BUDGET_USD, MAX_EXACT_NANOS, formatUsd, usdToNanos } from '../../src/core/money.js';

describe('money', () => {
  it('converts limits up to MAX_BUDGET_USD to the integer-valued doubles the stores compare', () => {
    expect(usdToNanos(1e7)).toBe(10_000_000_000_000_000);
    expect(usdToNanos(1e12)).toBe(1e21);
    expect(usdToNanos(MAX_BUDGET_USD)).toBe(1e24);
    expect(Number.isInteger(usdToNanos(1e12))).toBe(true);
    expect(MAX_EXACT_NANOS).toBe(2 ** 53 - 1);
    expect(formatUsd(usdToNanos(1e12))).toBe('$1000000000000.00');
  });

  it('throws a RangeError for amounts whose nanos are not finite', () => {
    expect(() => usdToNanos(1e308)).toThrow(RangeError);
    expect(() => usdToNanos(1e308)).toThrow('expected a finite number of USD (at most 1e15 for a budget), got 1e+308');
    expect(() => usdToNanos(Number.NaN)).toThrow(RangeError);
    expect(() => usdToNanos(Number.NEGATIVE_INFINITY)).toThrow(RangeError);
  });
});
