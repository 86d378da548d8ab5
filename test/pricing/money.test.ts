import { describe, expect, it } from 'vitest';
import { formatUsd, nanosToUsd, usdToNanos } from '../../src/core/money.js';
import { toScaledInteger } from '../../src/pricing/ModelPrices.js';

describe('money', () => {
  it('converts between USD and integer nano-USD', () => {
    expect(usdToNanos(18)).toBe(18_000_000_000);
    expect(usdToNanos(0.1 + 0.2)).toBe(300_000_000);
    expect(usdToNanos(-0.0000000015)).toBe(-2);
    expect(nanosToUsd(750_000_000)).toBe(0.75);
    expect(() => usdToNanos(Number.NaN)).toThrow(RangeError);
  });

  it('formats nanos exactly', () => {
    expect(formatUsd(18_000_000_000)).toBe('$18.00');
    expect(formatUsd(750_000_000)).toBe('$0.75');
    expect(formatUsd(150_000)).toBe('$0.00015');
    expect(formatUsd(1)).toBe('$0.000000001');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-2_500_000_000)).toBe('-$2.50');
  });

  it('reads decimal prices without float error', () => {
    expect(toScaledInteger(0.075, 9)).toBe(75_000_000n);
    expect(toScaledInteger(0.18000000000000002, 9)).toBe(180_000_000n);
    expect(toScaledInteger(0.0025, 12)).toBe(2_500_000_000n);
    expect(toScaledInteger(1e-7, 9)).toBe(100n);
    expect(toScaledInteger(3, 9)).toBe(3_000_000_000n);
  });
});
