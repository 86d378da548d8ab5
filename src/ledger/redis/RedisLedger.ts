import type { Bucket, BucketSeed, BucketState, LeaseStatus, Ledger, RecordQuery, ReserveRequest, ReserveResult, ResetRecord, StoredBudget, UsageGroup, UsageQuery } from '../Ledger.js';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { MS_PER_DAY, utcDayKeyStart, utcDayStart } from '../../time/utcWindows.js';
import { distinctBuckets } from '../distinctBuckets.js';
import { seedsByBucket } from '../seedsByBucket.js';
import type { BucketSeeds } from '../seedsByBucket.js';
import { SEED_SCRIPT, seedCall } from './seedScript.js';
import { UsageAccumulator } from '../UsageAccumulator.js';
import { dimensionsOf, groupKeyOf, matchesWhere, rollupBoundary, totalsOf } from '../usageDimensions.js';
import { BUCKET_STATES_SCRIPT } from './bucketStatesScript.js';
import { rollupDims, rollupTotals } from './dayRollup.js';
import { RedisConnection, toUnavailable } from './RedisConnection.js';
import { redisKeys } from './redisKeys.js';
import { readRedisResets, resetRedisBuckets } from './redisResets.js';
import type { RedisKeys } from './redisKeys.js';
import { resolveRedisOptions } from './RedisLedgerOptions.js';
import type { RedisLedgerOptions } from './RedisLedgerOptions.js';
import { RedisScript } from './RedisScript.js';
import { PRUNE_WATERMARK_SCRIPT } from './pruneWatermarkScript.js';
import { rollingSlotMs } from './rollingSlotMs.js';
import { redisPersistence } from './redisPersistence.js';
import { layoutOfEpoch } from './keyLayout.js';
import type { RedisPersistence } from './redisPersistence.js';
import { RedisWriter, toNumbers } from './RedisWriter.js';
import { scanRecords } from './scanRecords.js';
import { SettlementJournal } from './SettlementJournal.js';
import { RedisLeases } from './RedisLeases.js';
import { RedisUnavailableError } from './RedisUnavailableError.js';
import { assertGroupBy } from '../assertGroupBy.js';

const DEFAULT_RECORD_LIMIT = 100;
/** Stream ids deleted per XDEL when pruning. */
const PRUNE_BATCH = 500;

const bucketStatesScript = new RedisScript('bucketStates', BUCKET_STATES_SCRIPT);
const seedScript = new RedisScript('seed', SEED_SCRIPT);
/** Buckets seeded per script call (Ledger.seed): a budget with a counter per task id can seed many. */
const SEED_CHUNK = 500;
const pruneWatermarkScript = new RedisScript('pruneWatermark', PRUNE_WATERMARK_SCRIPT);

/**
 * The `Ledger` on Redis: budgets shared by every replica that uses the same Redis.
 * Every method answers with a promise.
 *
 * - `reserve`, `settle` and `release` are atomic across every bucket of the call; the calls made
 *   in one event-loop turn go to Redis in one pipeline (RedisBatch) as one settleMany and one
 *   reserveMany Lua script call, which decide each call as one script per call would, and wait
 *   up to `callWaitMs` for the answer. A settlement Redis does not take goes to a
 *   local journal and is replayed once it answers again; a store that lost its data is
 *   noticed and reported, and the spend this process remembers is re-added (RedisWriter).
 * - Calendar and total buckets keep their settled spend in one counter per bucket key
 *   (the key contains the window start); calendar counters expire a day after the
 *   bucket's `expiresAt`. Rolling buckets use time-slot counters, see `rollingSlotMs`
 *   for the precision (spend is never forgotten early, at most one slot late).
 * - Live reservations sit in a per-bucket sorted set scored by `expiresAt`; a
 *   reservation never settled (crashed process) stops counting after its `expiresAt`.
 * - Usage records go to a capped stream (`<prefix>records`, `XADD MAXLEN ~ streamMaxLen`)
 *   and, in the same script, to per-day rollups keyed by every usage dimension.
 *   `usage()` answers whole days from the rollups (every day before the prune watermark,
 *   and every day lying entirely inside [since, until)), and reads the stream only for
 *   the partial days at the edges of a since/until range, aggregating in the client.
 *   So usage stays exact after `prune()` and after the stream's cap dropped entries,
 *   except for those partial edge days. `records()` and `prune()` scan the stream in
 *   pages of 1000 (arrival order; records are then sorted by their own `time`).
 * - Redis 5.0 or later; a standalone server or a primary (Redis Cluster is not supported).
 * - With `leases`, the process holds a share of each enforced counter it uses, reserved in Redis,
 *   and admits calls from it while Redis cannot answer; the spent leases are given back once the
 *   journal is replayed (RedisLeases).
 * - Every failure (no answer within `callWaitMs` for writes or `commandTimeoutMs` for reads,
 *   no connection, error reply) rejects with `RedisUnavailableError` (a settlement is
 *   journaled instead) and increments `errors`; the client reconnects by itself and calls
 *   fail fast while it is down.
 */
export class RedisLedger implements Ledger {
  readonly keyPrefix: string;
  private readonly keys: RedisKeys;
  private readonly connection: RedisConnection;
  private readonly writer: RedisWriter;
  private readonly leaseKeeper: RedisLeases | undefined;

  constructor(urlOrOptions: string | RedisLedgerOptions) {
    const o = resolveRedisOptions(urlOrOptions);
    this.keyPrefix = o.keyPrefix;
    this.keys = redisKeys(o.keyPrefix);
    this.connection = new RedisConnection(o);
    this.writer = new RedisWriter(this.connection, {
      ...o,
      keys: this.keys,
      journalDir: o.journalDir ?? SettlementJournal.defaultDir(o.url ?? 'client', o.keyPrefix),
      onStoreReset: (reset) => {
        this.leaseKeeper?.storeLost();
        o.onStoreReset?.(reset);
      },
    });
    if (o.leases !== undefined) this.leaseKeeper = new RedisLeases(this.writer, this.connection, { leases: o.leases, problems: o.problems, onLease: o.onLease });
  }

  /** Number of ledger calls that failed because Redis could not answer. */
  get errors(): number {
    return this.connection.errors;
  }

  reserve(req: ReserveRequest): Promise<ReserveResult> {
    try {
      checkNanos('reserve', 'amountNanos', req.amountNanos);
      for (const b of req.buckets) checkLimit(b.key, b.limitNanos);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
    if (req.buckets.length === 0) return Promise.resolve({ ok: true, states: [] });
    if (this.leaseKeeper !== undefined) return this.reserveWithLeases(req, this.leaseKeeper);
    return this.writer.reserve(req).then((out) => resultOf(req, out));
  }

  /**
   * Settles (see Ledger.settle). When Redis does not answer, the settlement goes to the local
   * journal (replayed once Redis answers again) and the promise resolves with zero states.
   */
  settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    try {
      checkNanos('settle', 'costNanos', record.costNanos);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
    // The same array when no key repeats (the batch names a list of buckets once however many calls pass it).
    const distinct = hasRepeatedKey(buckets) ? distinctBuckets(buckets) : buckets;
    const leases = this.leaseKeeper;
    const fromLease = leases?.settled(record.id, record.costNanos) === true;
    const settled = this.writer.settle(record, distinct);
    const done = fromLease ? settled.finally(() => leases?.settleDone(record.id)) : settled;
    return done.then((reply = []) => {
      if (distinct === buckets) return statesFrom(buckets, reply, 1);
      // The script read each distinct bucket once; answer in the caller's order (duplicates included).
      const byKey = new Map(statesFrom(distinct, reply, 1).map((s) => [s.key, s]));
      return buckets.map((b) => ({ ...(byKey.get(b.key) as BucketState), budgetId: b.budgetId, limitNanos: b.limitNanos }));
    });
  }

  /** In scripts of SEED_CHUNK buckets (seedScript.ts): each bucket is checked and seeded atomically. */
  async seed(seeds: readonly BucketSeed[]): Promise<string[]> {
    for (const s of seeds) checkNanos('seed', 'nanos', s.nanos);
    const buckets = [...seedsByBucket(seeds).values()];
    const seeded: string[] = [];
    for (let i = 0; i < buckets.length; i += SEED_CHUNK) {
      const part = buckets.slice(i, i + SEED_CHUNK);
      const { keys, args } = seedCall(this.keys, part);
      const reply = await this.connection.run('seed', (c, t) => t(seedScript.run(c, keys, args)));
      for (const index of toNumbers(reply)) seeded.push((part[index - 1] as BucketSeeds).bucket.key);
    }
    return seeded;
  }

  async release(id: string): Promise<void> {
    const fromLease = this.leaseKeeper?.released(id) === true;
    try {
      await this.writer.release(id);
    } catch (err: unknown) {
      // A call admitted from a lease during an outage has no reservation in Redis yet (or it was re-added and expires).
      if (!fromLease || !(err instanceof RedisUnavailableError)) throw err;
    }
  }

  /** Reserves with leases: a call Redis cannot take may be admitted from them, and room held in this process' own lease is given back for a call. */
  private async reserveWithLeases(req: ReserveRequest, leases: RedisLeases): Promise<ReserveResult> {
    for (let attempt = 0; ; attempt++) {
      let out: number[];
      try {
        out = await this.writer.reserve(req);
      } catch (err: unknown) {
        // Redis cannot answer: the call may be admitted from this process' leases.
        const fromLeases = err instanceof RedisUnavailableError ? leases.admit(req, err) : undefined;
        if (fromLeases !== undefined) return fromLeases;
        throw err;
      }
      const result = resultOf(req, out);
      if (result.ok) {
        leases.afterReserve(req);
        return result;
      }
      // Room this process holds as its own lease is given back for the call (once).
      if (attempt === 0 && (await leases.giveBackFor(req, result.failed).catch(() => false))) continue;
      return result;
    }
  }

  /** The leases this process holds (empty without the `leases` option): what each holds in Redis and what is left for an outage. */
  leases(): LeaseStatus[] {
    return this.leaseKeeper?.list(Date.now()) ?? [];
  }

  /**
   * Replays the journal of settlements Redis did not take (this process' and those of processes
   * that are gone). Never rejects: what Redis still does not take stays journaled (`journaled`).
   */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Settlements this ledger journaled and has not replayed yet. */
  get journaled(): number {
    return this.writer.journal.pending;
  }

  /** Where journaled settlements are written. */
  get journalDir(): string {
    return this.writer.journal.dir;
  }

  async bucketStates(buckets: readonly Bucket[], now: number): Promise<BucketState[]> {
    if (buckets.length === 0) return [];
    const keys: string[] = [];
    const args: (string | number)[] = [now, buckets.length];
    for (const b of buckets) {
      keys.push(this.keys.bucket(b.key), this.keys.reservations(b.key), this.keys.reservedTotal(b.key));
      const rolling = b.rollingMs ?? 0;
      args.push(rolling, rolling > 0 ? rollingSlotMs(rolling) : 1);
    }
    const reply = await this.connection.run('bucketStates', (c, t) => t(bucketStatesScript.run(c, keys, args)));
    return statesFrom(buckets, toNumbers(reply), 0);
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    assertGroupBy(query.by);
    const acc = new UsageAccumulator();
    const { since, until } = query;
    const { watermark, days } = await this.connection.run('usage', async (c, t) => {
      const min = since === undefined ? '-inf' : `(${since - MS_PER_DAY}`;
      const max = until === undefined ? '+inf' : `(${until}`;
      const [w, d] = await Promise.all([t(c.hget(this.keys.meta, 'pruneWatermark')), t(c.zrangebyscore(this.keys.days, min, max))]);
      return { watermark: w === null ? undefined : Number(w), days: d };
    });
    // Whole days come from the rollups: days before the prune boundary, and days that lie
    // entirely inside [since, until). Only the other (edge) days need the records.
    const boundary = rollupBoundary(watermark);
    const fromRollup = (dayStart: number): boolean =>
      dayStart < boundary || ((since === undefined || dayStart >= since) && (until === undefined || dayStart + MS_PER_DAY <= until));
    const rollupDays = days.filter((d) => fromRollup(utcDayKeyStart(d)));
    if (rollupDays.length > 0) {
      const hashes = await this.connection.run('usage', async (c, t) => {
        const pipeline = c.pipeline();
        for (const day of rollupDays) pipeline.hgetall(this.keys.day(day));
        return (await t(pipeline.exec())) ?? [];
      });
      rollupDays.forEach((day, i) => {
        const [err, value] = hashes[i] ?? [null, {}];
        if (err) throw toUnavailable('usage', err);
        for (const [field, totals] of Object.entries(value as Record<string, string>)) {
          const dims = rollupDims(day, field);
          if (dims === undefined || !matchesWhere(dims, query.where)) continue;
          acc.add(groupKeyOf(dims, query.by), rollupTotals(totals));
        }
      });
    }
    if (rollupDays.length < days.length) {
      await this.connection.run('usage', (c, t) =>
        scanRecords(c, t, this.keys.records, 'asc', (r) => {
          if (since !== undefined && r.time < since) return;
          if (until !== undefined && r.time >= until) return;
          if (fromRollup(utcDayStart(r.time))) return;
          const dims = dimensionsOf(r);
          if (!matchesWhere(dims, query.where)) return;
          acc.add(groupKeyOf(dims, query.by), totalsOf(r));
        }),
      );
    }
    return acc.result(query.by);
  }

  async records(query: RecordQuery): Promise<UsageRecord[]> {
    const limit = query.limit ?? DEFAULT_RECORD_LIMIT;
    const found: UsageRecord[] = [];
    await this.connection.run('records', (c, t) =>
      scanRecords(c, t, this.keys.records, 'desc', (r) => {
        if (query.since !== undefined && r.time < query.since) return;
        if (query.until !== undefined && r.time >= query.until) return;
        if (query.traceId !== undefined && r.traceId !== query.traceId) return;
        if (query.task !== undefined && r.task !== query.task) return;
        if (query.session !== undefined && r.session !== query.session) return;
        found.push(r);
      }),
    );
    // The stream is in arrival order; sort by the records' own time (stable: newest arrival first on ties).
    found.sort((a, b) => b.time - a.time);
    return found.slice(0, Math.max(0, limit));
  }

  async prune(before: number): Promise<number> {
    // Raise the watermark first: from then on usage() answers those days from the rollups,
    // which already hold every settled record.
    await this.connection.run('prune', (c, t) => t(pruneWatermarkScript.run(c, [this.keys.meta], [before])));
    const ids: string[] = [];
    await this.connection.run('prune', (c, t) =>
      scanRecords(c, t, this.keys.records, 'asc', (r, id) => {
        if (r.time < before) ids.push(id);
      }),
    );
    let deleted = 0;
    for (let i = 0; i < ids.length; i += PRUNE_BATCH) {
      const batch = ids.slice(i, i + PRUNE_BATCH);
      deleted += await this.connection.run('prune', (c, t) => t(c.xdel(this.keys.records, ...batch)));
    }
    return deleted;
  }

  async listBudgets(): Promise<StoredBudget[]> {
    const all = await this.connection.run('listBudgets', (c, t) => t(c.hgetall(this.keys.budgets)));
    return Object.keys(all)
      .sort()
      .map((id) => ({ id, spec: JSON.parse(all[id] as string) as Record<string, unknown> }));
  }

  async putBudget(budget: StoredBudget): Promise<void> {
    const json = JSON.stringify(budget.spec);
    await this.connection.run('putBudget', (c, t) => t(c.hset(this.keys.budgets, budget.id, json)));
  }

  async deleteBudget(id: string): Promise<boolean> {
    const n = await this.connection.run('deleteBudget', (c, t) => t(c.hdel(this.keys.budgets, id)));
    return n > 0;
  }

  async resetBuckets(reset: ResetRecord, bucketKeys?: readonly string[]): Promise<void> {
    await this.connection.run('resetBuckets', (c, t) => resetRedisBuckets(c, t, this.keys, this.keyPrefix, reset, bucketKeys));
  }

  async resets(limit = 100): Promise<ResetRecord[]> {
    return this.connection.run('resets', (c, t) => readRedisResets(c, t, this.keys, limit));
  }

  /** The server's persistence settings: without AOF or RDB a Redis restart empties every budget (see redisPersistence). */
  persistence(): Promise<RedisPersistence> {
    return this.connection.run('persistence', (c, t) => redisPersistence(c, t));
  }

  /**
   * The key layout of the data under this ledger's prefix: `written` is the layout its epoch names
   * (`'layout1'` for an epoch without one, undefined when no data was written yet); `usable` is
   * false when this version refuses it (see keyLayout.ts).
   */
  async keyLayout(): Promise<{ written: string | undefined; usable: boolean }> {
    const epoch = await this.connection.run('keyLayout', (c, t) => t(c.get(this.keys.epoch)));
    return layoutOfEpoch(epoch ?? undefined);
  }

  async ping(): Promise<void> {
    await this.connection.run('ping', (c, t) => t(c.ping()));
  }

  /** Idempotent. Closes the client the ledger opened (a client passed in options stays open). */
  close(): Promise<void> {
    this.leaseKeeper?.close();
    this.writer.close();
    return this.connection.close();
  }
}

/** The reservation's answer from the script's reply (see reserveManyScript). */
function resultOf(req: ReserveRequest, out: number[]): ReserveResult {
  const states = statesFrom(req.buckets, out, 2);
  if (out[0] === 1) return { ok: true, states };
  return { ok: false, failed: states[(out[1] ?? 1) - 1] as BucketState, states };
}

function hasRepeatedKey(buckets: readonly Bucket[]): boolean {
  for (let i = 1; i < buckets.length; i++) {
    for (let j = 0; j < i; j++) if ((buckets[i] as Bucket).key === (buckets[j] as Bucket).key) return true;
  }
  return false;
}

/** Bucket states from a script's reply: spent and reserved of each bucket in turn, from `offset`. */
function statesFrom(buckets: readonly Bucket[], out: number[], offset: number): BucketState[] {
  const states: BucketState[] = [];
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    states.push({ key: b.key, budgetId: b.budgetId, limitNanos: b.limitNanos, spentNanos: out[offset + 2 * i] ?? 0, reservedNanos: out[offset + 2 * i + 1] ?? 0 });
  }
  return states;
}

/**
 * A limit may pass Number.MAX_SAFE_INTEGER (budgets above ~$9M, up to MAX_BUDGET_USD): it is
 * sent as the integer-valued double it is, which Lua reads back exactly and compares with the
 * bucket's integer sums.
 */
function checkLimit(bucketKey: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`RedisLedger.reserve: bucket ${bucketKey} limitNanos must be a non-negative integer number of nano-USD, got ${value}`);
  }
}

function checkNanos(op: string, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RedisLedger.${op}: ${field} must be a non-negative integer number of nano-USD, got ${value}`);
  }
}
