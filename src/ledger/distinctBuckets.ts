import type { Bucket } from './Ledger.js';

/** Each bucket key once, in first-seen order (the first bucket of a key wins). */
export function distinctBuckets(buckets: readonly Bucket[]): Bucket[] {
  return buckets.length <= 1 ? [...buckets] : [...new Map(buckets.map((b) => [b.key, b])).values()];
}
