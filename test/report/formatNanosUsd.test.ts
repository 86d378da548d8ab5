import { describe, expect, it } from 'vitest';
import { displayUsd } from '../../src/report/displayUsd.js';
import { formatCount } from '../../src/report/formatCount.js';
import { formatNanosUsd } from '../../src/report/formatNanosUsd.js';

describe('formatNanosUsd', () => {
  it.each([
    [0, 4, '0.0000'],
    [123_456_789, 9, '0.123456789'],
    [123_456_789, 4, '0.1235'],
    [50_000, 4, '0.0001'], // half rounds away from zero
    [49_999, 4, '0.0000'],
    [-50_000, 4, '-0.0001'],
    [-49_999, 4, '0.0000'],
    [20_000_000_000, 2, '20.00'],
    [1_999_999_999, 0, '2'],
    [Number.MAX_SAFE_INTEGER, 9, '9007199.254740991'],
    [1e16, 2, '10000000.00'], // a $10M limit, beyond 2^53 nanos
    [1e21, 4, '1000000000000.0000'], // a $1T limit
  ])('formatNanosUsd(%d, %d) = %s', (nanos, decimals, expected) => {
    expect(formatNanosUsd(nanos, decimals)).toBe(expected);
  });

  it('refuses non-integer nanos and bad decimals', () => {
    expect(() => formatNanosUsd(0.5, 4)).toThrow('expected an integer number of nanos, got 0.5');
    expect(() => formatNanosUsd(Number.POSITIVE_INFINITY, 4)).toThrow('expected an integer number of nanos, got Infinity');
    expect(() => formatNanosUsd(1, 10)).toThrow('decimals must be an integer 0..9, got 10');
  });
});

describe('displayUsd and formatCount', () => {
  it('shows tiny non-zero amounts as <$0.0001', () => {
    expect([displayUsd(0), displayUsd(1), displayUsd(49_999), displayUsd(50_000), displayUsd(-2_500_000)]).toEqual([
      '$0.0000',
      '<$0.0001',
      '<$0.0001',
      '$0.0001',
      '-$0.0025',
    ]);
  });

  it('groups thousands with commas regardless of locale', () => {
    expect([0, 999, 1_000, 1_234_567, -12_345].map(formatCount)).toEqual(['0', '999', '1,000', '1,234,567', '-12,345']);
  });
});
