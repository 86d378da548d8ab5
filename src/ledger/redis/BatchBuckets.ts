import type { Bucket } from '../Ledger.js';
import type { RedisKeys } from './redisKeys.js';
import { rollingSlotMs } from './rollingSlotMs.js';

/**
 * The distinct buckets of one batch script call, numbered 1..n in first-seen order, and the
 * lists of buckets its calls name, each written once for the whole call:
 * - `keys`: per bucket its hash, reservation zset and reservation total;
 * - `numbers`: per bucket rollingMs (0 = none), slotMs and, `withExpiry`, expiresAt (0 = none);
 * - `lists`: per list of buckets (the same array passed again is the same list) its length, then
 *   per bucket its number and `perBucket`'s values.
 * A bucket key that comes again with another window (another `rollingMs`, or another `expiresAt`
 * when `withExpiry`) does not fit: the caller splits the call there, so that each script call
 * decides with the window each of its calls asked for.
 */
export class BatchBuckets {
  readonly keys: string[] = [];
  readonly numbers: number[] = [];
  readonly lists: (number | string)[] = [];
  private readonly seen = new Map<string, { index: number; rolling: number; expiresAt: number }>();
  private readonly listAt = new Map<readonly Bucket[], { at: number; items: readonly Bucket[] }>();

  constructor(
    private readonly k: RedisKeys,
    private readonly withExpiry: boolean,
    private readonly perBucket: (b: Bucket) => readonly (number | string)[],
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /**
   * The position (1-based, in `lists`) of this list of buckets, adding it and its new buckets;
   * undefined (nothing added) when one of its buckets is here with another window.
   */
  listOf(buckets: readonly Bucket[]): number | undefined {
    const known = this.listAt.get(buckets);
    if (known !== undefined && sameItems(known.items, buckets)) return known.at;
    for (const b of buckets) {
      const s = this.seen.get(b.key);
      if (s !== undefined && (s.rolling !== (b.rollingMs ?? 0) || (this.withExpiry && s.expiresAt !== (b.expiresAt ?? 0)))) return undefined;
    }
    const at = this.lists.length + 1;
    this.lists.push(buckets.length);
    for (const b of buckets) this.lists.push(this.indexOf(b), ...this.perBucket(b));
    this.listAt.set(buckets, { at, items: [...buckets] });
    return at;
  }

  private indexOf(b: Bucket): number {
    const known = this.seen.get(b.key);
    if (known !== undefined) return known.index;
    const rolling = b.rollingMs ?? 0;
    const expiresAt = b.expiresAt ?? 0;
    const index = this.seen.size + 1;
    this.seen.set(b.key, { index, rolling, expiresAt });
    this.keys.push(this.k.bucket(b.key), this.k.reservations(b.key), this.k.reservedTotal(b.key));
    this.numbers.push(rolling, rolling > 0 ? rollingSlotMs(rolling) : 1);
    if (this.withExpiry) this.numbers.push(expiresAt);
    return index;
  }
}

/** Whether a list passed again still holds the same buckets (an array changed in place is a new list). */
function sameItems(a: readonly Bucket[], b: readonly Bucket[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
