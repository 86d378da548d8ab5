import type { UsageRecord } from '../../core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../Ledger.js';
import { utcDayKey, utcDayStart } from '../../time/utcWindows.js';
import { BatchBuckets } from './BatchBuckets.js';
import { withinSpan } from './batchSpan.js';
import { rollupFieldOf } from './dayRollup.js';
import { encodeRecord } from './recordCodec.js';
import type { RedisKeys } from './redisKeys.js';

const nothing = (): number[] => [];

interface Day {
  index: number;
  /** Rollup field → group number. */
  groups: Map<string, number>;
}

/**
 * The KEYS and ARGV of one settleMany script call (see settleManyScript.ts), built call by call.
 * The reply holds the settlements' parts first, then the releases', each in the order added.
 */
export class SettleManyCall {
  private readonly buckets: BatchBuckets;
  private readonly days = new Map<string, Day>();
  private readonly dayKeys: string[] = [];
  private readonly dayNames: string[] = [];
  private readonly dayStarts: number[] = [];
  private readonly groupDays: number[] = [];
  private readonly groupFields: string[] = [];
  private readonly settleIds: string[] = [];
  private readonly settleRecords: string[] = [];
  private readonly settleNumbers: (number | string)[] = [];
  private readonly settleSizes: number[] = [];
  private readonly releaseIds: string[] = [];
  private releases = 0;
  private first: number | undefined;

  constructor(
    private readonly k: RedisKeys,
    private readonly settledTtlMs: number,
    private readonly streamMaxLen: number,
  ) {
    this.buckets = new BatchBuckets(k, true, nothing);
  }

  get count(): number {
    return this.settleSizes.length + this.releases;
  }

  /** Length of each call's part of the reply: the settlements', then the releases'. */
  get sizes(): number[] {
    return this.settleSizes.concat(new Array<number>(this.releases).fill(1));
  }

  /**
   * Adds a settlement (`buckets` distinct) and, when known, the live reservation it releases;
   * false (nothing added) when one of its buckets is in this call with another window, or its
   * record's time is too far from the first one's (see batchSpan.ts).
   */
  addSettle(record: UsageRecord, buckets: readonly Bucket[], reservation: ReserveRequest | undefined): boolean {
    if (!withinSpan(this.first, record.time)) return false;
    const list = this.buckets.listOf(buckets);
    if (list === undefined) return false;
    this.first ??= record.time;
    // A reservation whose buckets do not fit here is read back from Redis instead.
    const reserved = reservation === undefined ? 0 : (this.buckets.listOf(reservation.buckets) ?? 0);
    this.settleIds.push(record.id);
    this.settleRecords.push(encodeRecord(record));
    this.settleNumbers.push(
      record.costNanos,
      record.time,
      this.groupOf(utcDayKey(record.time), rollupFieldOf(record), record.time),
      record.status === 'error' ? 1 : 0,
      tokens(record.inputTokens),
      tokens(record.outputTokens),
      tokens(record.cacheReadTokens),
      tokens(record.cacheWriteTokens),
      tokens(record.reasoningTokens),
      list,
      reserved,
      reserved === 0 ? '' : String((reservation as ReserveRequest).amountNanos),
    );
    this.settleSizes.push(1 + 2 * buckets.length);
    return true;
  }

  addRelease(id: string): void {
    this.releaseIds.push(id);
    this.releases++;
  }

  keys(): string[] {
    return this.buckets.keys.concat([this.k.records, this.k.days, this.k.reservationRecords, this.k.epoch], this.dayKeys);
  }

  args(): string[] {
    const head = [
      String(this.buckets.size),
      String(this.days.size),
      String(this.groupDays.length),
      String(this.settleSizes.length),
      String(this.releases),
      String(this.settledTtlMs),
      String(this.streamMaxLen),
      this.k.settledSlots,
      JSON.stringify(this.buckets.numbers),
      JSON.stringify(this.buckets.lists),
      JSON.stringify(this.dayStarts),
      JSON.stringify(this.groupDays),
      JSON.stringify(this.settleNumbers),
    ];
    return head.concat(this.dayNames, this.groupFields, this.settleRecords, this.settleIds, this.releaseIds);
  }

  /** The number of the record's rollup group (one day and rollup field), adding it when new. */
  private groupOf(dayKey: string, field: string, time: number): number {
    let day = this.days.get(dayKey);
    if (day === undefined) {
      day = { index: this.days.size + 1, groups: new Map() };
      this.days.set(dayKey, day);
      this.dayKeys.push(this.k.day(dayKey));
      this.dayNames.push(dayKey);
      this.dayStarts.push(utcDayStart(time));
    }
    let group = day.groups.get(field);
    if (group === undefined) {
      group = this.groupDays.length + 1;
      day.groups.set(field, group);
      this.groupDays.push(day.index);
      this.groupFields.push(field);
    }
    return group;
  }
}

/** Token counts as the rollup expects them: finite integers. */
function tokens(n: number): number {
  return Number.isFinite(n) ? Math.round(n) : 0;
}
