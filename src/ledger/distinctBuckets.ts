import type { Bucket } from './Ledger.js';

/**
 * Each bucket key once, in first-seen order (the first bucket of a key wins): `buckets` itself
 * when no key repeats (the usual case, checked without allocating).
 */
export function distinctBuckets(buckets: readonly Bucket[]): readonly Bucket[] {
  if (!hasRepeatedKey(buckets)) return buckets;
  const first = new Map<string, Bucket>();
  for (const b of buckets) if (!first.has(b.key)) first.set(b.key, b);
  return [...first.values()];
}

/** Whether two of the buckets share a key (a call has a handful of buckets: pairs are compared). */
function hasRepeatedKey(buckets: readonly Bucket[]): boolean {
  for (let i = 1; i < buckets.length; i++) {
    for (let j = 0; j < i; j++) if ((buckets[i] as Bucket).key === (buckets[j] as Bucket).key) return true;
  }
  return false;
}
