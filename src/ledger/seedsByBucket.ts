import type { Bucket, BucketSeed } from './Ledger.js';

/** The seeds of one bucket. */
export interface BucketSeeds {
  bucket: Bucket;
  seeds: BucketSeed[];
}

/** `seeds` grouped by bucket key, buckets in the order they first appear (what each store's `Ledger.seed` walks). */
export function seedsByBucket(seeds: readonly BucketSeed[]): Map<string, BucketSeeds> {
  const out = new Map<string, BucketSeeds>();
  for (const s of seeds) {
    const group = out.get(s.bucket.key);
    if (group === undefined) out.set(s.bucket.key, { bucket: s.bucket, seeds: [s] });
    else group.seeds.push(s);
  }
  return out;
}
