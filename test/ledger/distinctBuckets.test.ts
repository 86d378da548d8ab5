import { describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/ledger/Ledger.js';
import { distinctBuckets } from '../../src/ledger/distinctBuckets.js';

const bucket = (key: string, limitNanos = 1_000): Bucket => ({ key, budgetId: key, limitNanos, enforce: true });

describe('distinctBuckets', () => {
  it('keep the first bucket of each key, in first-seen order', () => {
    const a = bucket('a');
    const b = bucket('b');
    expect(distinctBuckets([a, b, bucket('a', 5), b])).toEqual([a, b]);
  });

  it('return the buckets as given when no key repeats', () => {
    const buckets = [bucket('a'), bucket('b'), bucket('c')];
    expect(distinctBuckets(buckets)).toBe(buckets);
    expect(distinctBuckets([])).toEqual([]);
  });
});
