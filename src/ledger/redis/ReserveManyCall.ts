import type { Bucket, ReserveRequest } from '../Ledger.js';
import { BatchBuckets } from './BatchBuckets.js';
import { withinSpan } from './batchSpan.js';
import type { RedisKeys } from './redisKeys.js';

const limitAndEnforce = (b: Bucket): number[] => [b.limitNanos, b.enforce ? 1 : 0];

/** The KEYS and ARGV of one reserveMany script call (see reserveManyScript.ts), built reservation by reservation. */
export class ReserveManyCall {
  /** Length of each reservation's part of the reply, in order. */
  readonly sizes: number[] = [];
  private readonly buckets: BatchBuckets;
  private readonly ids: string[] = [];
  private readonly items: (number | string)[] = [];
  private first: number | undefined;

  constructor(private readonly k: RedisKeys) {
    this.buckets = new BatchBuckets(k, false, limitAndEnforce);
  }

  get count(): number {
    return this.sizes.length;
  }

  /**
   * Adds a reservation; false (nothing added) when one of its buckets is in this call with another
   * window, or its `now` is too far from the first one's (see batchSpan.ts).
   */
  add(req: ReserveRequest): boolean {
    if (!withinSpan(this.first, req.now)) return false;
    const list = this.buckets.listOf(req.buckets);
    if (list === undefined) return false;
    this.first ??= req.now;
    this.ids.push(req.id);
    this.items.push(String(req.amountNanos), req.now, String(req.expiresAt), list);
    this.sizes.push(2 + 2 * req.buckets.length);
    return true;
  }

  keys(): string[] {
    return this.buckets.keys.concat([this.k.reservationRecords, this.k.epoch, this.k.meta]);
  }

  args(): string[] {
    return [
      String(this.buckets.size),
      String(this.count),
      JSON.stringify(this.buckets.numbers),
      JSON.stringify(this.buckets.lists),
      JSON.stringify(this.items),
    ].concat(this.ids);
  }
}
