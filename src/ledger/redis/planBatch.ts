import type { UsageRecord } from '../../core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../Ledger.js';
import type { RedisKeys } from './redisKeys.js';
import { RedisScript } from './RedisScript.js';
import { ReserveManyCall } from './ReserveManyCall.js';
import { RESERVE_MANY_SCRIPT } from './reserveManyScript.js';
import { SettleManyCall } from './SettleManyCall.js';
import { SETTLE_MANY_SCRIPT } from './settleManyScript.js';

const reserveManyScript = new RedisScript('reserveMany', RESERVE_MANY_SCRIPT);
const settleManyScript = new RedisScript('settleMany', SETTLE_MANY_SCRIPT);

/** One write waiting for the next pipeline. */
export type BatchItem =
  | { kind: 'reserve'; req: ReserveRequest }
  | { kind: 'settle'; record: UsageRecord; buckets: readonly Bucket[]; reservation: ReserveRequest | undefined }
  | { kind: 'release'; id: string }
  | { kind: 'script'; op: string; script: RedisScript; keys: readonly string[]; args: readonly (string | number)[] };

/**
 * One script call of a pipeline and the items it answers: `sizes` holds the length of each
 * item's part of the reply, in order (undefined: one item, answered by the whole reply).
 */
export interface BatchCall<T extends { item: BatchItem }> {
  op: string;
  script: RedisScript;
  keys: readonly string[];
  args: readonly (string | number)[];
  members: T[];
  sizes: number[] | undefined;
}

export interface BatchSettings {
  keys: RedisKeys;
  settledTtlMs: number;
  streamMaxLen: number;
}

/**
 * The script calls for the writes of one batch, in the order they run: one settleMany call for
 * the settlements and releases (settlements first: a release and a settlement of the same id end
 * the same in either order), then one reserveMany call for the reservations. Settlements thus
 * run before the reservations made in the same turn (they free room); an order that would
 * change an outcome is kept by splitting the batch there: a settlement or release of an id
 * reserved earlier in the same turn, a bucket that comes again with another window, and any
 * other script (a lease), which runs alone in its place.
 */
export function planBatch<T extends { item: BatchItem }>(queue: readonly T[], s: BatchSettings): BatchCall<T>[] {
  const calls: BatchCall<T>[] = [];
  let settles = new SettleManyCall(s.keys, s.settledTtlMs, s.streamMaxLen);
  let settleMembers: T[] = [];
  let releaseMembers: T[] = [];
  let reserves = new ReserveManyCall(s.keys);
  let reserveMembers: T[] = [];
  const reservedIds = new Set<string>();
  const flush = (): void => {
    if (settles.count > 0) {
      // The script answers the settlements, then the releases.
      calls.push({ op: 'settle', script: settleManyScript, keys: settles.keys(), args: settles.args(), members: settleMembers.concat(releaseMembers), sizes: settles.sizes });
      settles = new SettleManyCall(s.keys, s.settledTtlMs, s.streamMaxLen);
      settleMembers = [];
      releaseMembers = [];
    }
    if (reserves.count > 0) {
      calls.push({ op: 'reserve', script: reserveManyScript, keys: reserves.keys(), args: reserves.args(), members: reserveMembers, sizes: reserves.sizes });
      reserves = new ReserveManyCall(s.keys);
      reserveMembers = [];
    }
    reservedIds.clear();
  };
  for (const p of queue) {
    const item = p.item;
    if (item.kind === 'reserve') {
      if (!reserves.add(item.req)) {
        flush();
        reserves.add(item.req);
      }
      reservedIds.add(item.req.id);
      reserveMembers.push(p);
    } else if (item.kind === 'settle') {
      if (reservedIds.has(item.record.id) || !settles.addSettle(item.record, item.buckets, item.reservation)) {
        flush();
        settles.addSettle(item.record, item.buckets, item.reservation);
      }
      settleMembers.push(p);
    } else if (item.kind === 'release') {
      if (reservedIds.has(item.id)) flush();
      settles.addRelease(item.id);
      releaseMembers.push(p);
    } else {
      flush();
      calls.push({ op: item.op, script: item.script, keys: item.keys, args: item.args, members: [p], sizes: undefined });
    }
  }
  flush();
  return calls;
}
