import { diag } from '@opentelemetry/api';
import type { Redis, RedisOptions } from 'ioredis';
import type { Bucket, BucketState, Ledger, RecordQuery, ReserveRequest, ReserveResult, StoredBudget, UsageGroup, UsageQuery } from './Ledger.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { MS_PER_DAY, utcDayKeyStart, utcDayStart } from '../time/utcWindows.js';
import { distinctBuckets } from './distinctBuckets.js';
import { LedgerClosedError } from './LedgerClosedError.js';
import { UsageAccumulator } from './UsageAccumulator.js';
import { dimensionsOf, groupKeyOf, matchesWhere, rollupBoundary, totalsOf } from './usageDimensions.js';
import { BUCKET_STATES_SCRIPT } from './redis/bucketStatesScript.js';
import { loadIoredis } from './redis/loadIoredis.js';
import { decodeRecord, encodeRecord } from './redis/recordCodec.js';
import { redisKeys } from './redis/redisKeys.js';
import type { RedisKeys } from './redis/redisKeys.js';
import { RedisScript } from './redis/RedisScript.js';
import { RedisUnavailableError } from './redis/RedisUnavailableError.js';
import type { RedisUnavailableReason } from './redis/RedisUnavailableError.js';
import { RELEASE_SCRIPT } from './redis/releaseScript.js';
import { RESERVE_SCRIPT } from './redis/reserveScript.js';
import { rollingSlotMs } from './redis/rollingSlotMs.js';
import { SETTLE_SCRIPT } from './redis/settleScript.js';
import { rollupDims, rollupField, rollupTotals } from './redis/dayRollup.js';
import { PRUNE_WATERMARK_SCRIPT } from './redis/pruneWatermarkScript.js';

export { RedisUnavailableError } from './redis/RedisUnavailableError.js';
export type { RedisUnavailableReason } from './redis/RedisUnavailableError.js';
export { rollingSlotMs } from './redis/rollingSlotMs.js';

export interface RedisLedgerOptions {
  /** `redis://[user:password@]host:port/db` (or `rediss://`). Required unless `client` is given. */
  url?: string;
  /**
   * An ioredis client to use instead of `url`. The ledger never closes it, and its own
   * offline-queue / retry settings apply (the ledger still times out every command).
   */
  client?: Redis;
  /** Prefix of every key; ledgers with the same Redis and prefix share budgets. Default `'tollgate:'`. */
  keyPrefix?: string;
  /** A command that gets no answer within this time rejects with `RedisUnavailableError`. Default 500. */
  commandTimeoutMs?: number;
  /** Approximate cap of the usage-record stream (`XADD MAXLEN ~`). Default 100000. */
  streamMaxLen?: number;
  /** Longest wait between reconnection attempts; the backoff starts at 50 ms and doubles. Default 2000. */
  maxReconnectDelayMs?: number;
  /** How long a settled id is remembered, so that settling it again has no effect. Default 7 days. */
  settledTtlMs?: number;
  /**
   * Extra ioredis options (TLS, password, ...), applied over the ledger's own:
   * `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`,
   * `retryStrategy`, `connectTimeout`. (Command time limits are the ledger's own, with unref'd
   * timers, so they never keep the process alive.) Default none.
   */
  clientOptions?: RedisOptions;
}

const DEFAULT_KEY_PREFIX = 'tollgate:';
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_STREAM_MAX_LEN = 100_000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000;
const DEFAULT_SETTLED_TTL_MS = 7 * MS_PER_DAY;
const DEFAULT_RECORD_LIMIT = 100;
/** Stream entries read per round trip when scanning records. */
const STREAM_PAGE = 1_000;
/** Stream ids deleted per XDEL when pruning. */
const PRUNE_BATCH = 500;

const reserveScript = new RedisScript('reserve', RESERVE_SCRIPT);
const settleScript = new RedisScript('settle', SETTLE_SCRIPT);
const releaseScript = new RedisScript('release', RELEASE_SCRIPT);
const bucketStatesScript = new RedisScript('bucketStates', BUCKET_STATES_SCRIPT);
const pruneWatermarkScript = new RedisScript('pruneWatermark', PRUNE_WATERMARK_SCRIPT);

/** Applies a per-command time limit. */
type Timed = <T>(p: Promise<T>) => Promise<T>;

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * The `Ledger` on Redis: budgets shared by every replica that uses the same Redis.
 *
 * - `reserve`, `settle` and `release` are each one Lua script (one round trip, atomic
 *   across every bucket of the call).
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
 * - Every failure (timeout after `commandTimeoutMs`, no connection, error reply) rejects
 *   with `RedisUnavailableError` and increments `errors`; the client reconnects by itself
 *   and calls fail fast while it is down.
 */
export class RedisLedger implements Ledger {
  readonly keyPrefix: string;
  private readonly keys: RedisKeys;
  private readonly commandTimeoutMs: number;
  private readonly streamMaxLen: number;
  private readonly settledTtlMs: number;
  private readonly ownsClient: boolean;
  private readonly clientPromise: Promise<Redis>;
  private firstAttempt: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private errorCount = 0;

  constructor(urlOrOptions: string | RedisLedgerOptions) {
    const options: RedisLedgerOptions = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.streamMaxLen = options.streamMaxLen ?? DEFAULT_STREAM_MAX_LEN;
    this.settledTtlMs = options.settledTtlMs ?? DEFAULT_SETTLED_TTL_MS;
    const maxReconnectDelayMs = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
    validateOptions(options, this.keyPrefix, {
      commandTimeoutMs: this.commandTimeoutMs,
      streamMaxLen: this.streamMaxLen,
      settledTtlMs: this.settledTtlMs,
      maxReconnectDelayMs,
    });
    this.keys = redisKeys(this.keyPrefix);

    if (options.client !== undefined) {
      this.ownsClient = false;
      this.clientPromise = Promise.resolve(options.client);
    } else {
      this.ownsClient = true;
      this.clientPromise = this.connect(options.url as string, maxReconnectDelayMs, options.clientOptions);
      // Failures also surface on each call (as RedisUnavailableError, reason 'missing-client').
      this.clientPromise.catch((err: unknown) => diag.error(`tollgate: ${errorMessage(err)}`));
    }
  }

  /** Number of ledger calls that failed because Redis could not answer. */
  get errors(): number {
    return this.errorCount;
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    checkNanos('reserve', 'amountNanos', req.amountNanos);
    if (req.buckets.length === 0) return { ok: true, states: [] };
    const keys: string[] = [];
    const args: (string | number)[] = [req.id, req.amountNanos, req.now, req.expiresAt, req.buckets.length];
    for (const b of req.buckets) {
      checkNanos('reserve', `bucket ${b.key} limitNanos`, b.limitNanos);
      keys.push(this.keys.bucket(b.key), this.keys.reservations(b.key), this.keys.reservedTotal(b.key));
      const rolling = b.rollingMs ?? 0;
      args.push(b.limitNanos, b.enforce ? '1' : '0', rolling, rolling > 0 ? rollingSlotMs(rolling) : 1, b.expiresAt ?? 0);
    }
    keys.push(this.keys.reservation(req.id));
    const reply = await this.run('reserve', (c, t) => t(reserveScript.run(c, keys, args)));
    const out = toNumbers(reply);
    const states = statesFrom(req.buckets, out, 2);
    if (out[0] === 1) return { ok: true, states };
    const failed = states[(out[1] ?? 1) - 1] as BucketState;
    return { ok: false, failed, states };
  }

  async settle(record: UsageRecord, buckets: readonly Bucket[]): Promise<BucketState[]> {
    checkNanos('settle', 'costNanos', record.costNanos);
    const distinct = distinctBuckets(buckets);
    const dims = dimensionsOf(record);
    const keys: string[] = [];
    for (const b of distinct) keys.push(this.keys.bucket(b.key), this.keys.reservations(b.key), this.keys.reservedTotal(b.key));
    keys.push(
      this.keys.reservation(record.id),
      this.keys.settled(record.id),
      this.keys.records,
      this.keys.day(dims.day),
      this.keys.days,
    );
    const args: (string | number)[] = [
      record.id,
      String(record.costNanos),
      record.time,
      this.settledTtlMs,
      this.streamMaxLen,
      encodeRecord(record),
      utcDayStart(record.time),
      dims.day,
      rollupField(dims),
      record.status === 'error' ? 1 : 0,
      tokens(record.inputTokens),
      tokens(record.outputTokens),
      tokens(record.cacheReadTokens),
      tokens(record.cacheWriteTokens),
      tokens(record.reasoningTokens),
      distinct.length,
    ];
    for (const b of distinct) {
      const rolling = b.rollingMs ?? 0;
      const slotMs = rolling > 0 ? rollingSlotMs(rolling) : 1;
      args.push(rolling, slotMs, Math.floor(record.time / slotMs), b.expiresAt ?? 0);
    }
    const reply = toNumbers(await this.run('settle', (c, t) => t(settleScript.run(c, keys, args))));
    // The script read each distinct bucket once; answer in the caller's order (duplicates included).
    const byKey = new Map(statesFrom(distinct, reply, 1).map((s) => [s.key, s]));
    return buckets.map((b) => ({ ...(byKey.get(b.key) as BucketState), budgetId: b.budgetId, limitNanos: b.limitNanos }));
  }

  async release(id: string): Promise<void> {
    await this.run('release', (c, t) => t(releaseScript.run(c, [this.keys.reservation(id)], [id])));
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
    const reply = await this.run('bucketStates', (c, t) => t(bucketStatesScript.run(c, keys, args)));
    return statesFrom(buckets, toNumbers(reply), 0);
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    const acc = new UsageAccumulator();
    const { since, until } = query;
    const { watermark, days } = await this.run('usage', async (c, t) => {
      const min = since === undefined ? '-inf' : `(${since - MS_PER_DAY}`;
      const max = until === undefined ? '+inf' : `(${until}`;
      const [w, d] = await Promise.all([t(c.hget(this.keys.meta, 'pruneWatermark')), t(c.zrangebyscore(this.keys.days, min, max))]);
      return { watermark: w === null ? undefined : Number(w), days: d };
    });
    // Whole days come from the rollups: days before the prune boundary, and days that lie
    // entirely inside [since, until). Only the other (edge) days need the records.
    const boundary = rollupBoundary(watermark);
    const fromRollup = (dayStart: number): boolean =>
      dayStart < boundary ||
      ((since === undefined || dayStart >= since) && (until === undefined || dayStart + MS_PER_DAY <= until));
    const rollupDays = days.filter((d) => fromRollup(utcDayKeyStart(d)));
    if (rollupDays.length > 0) {
      const hashes = await this.run('usage', async (c, t) => {
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
      await this.run('usage', (c, t) =>
        this.scanRecords(c, t, 'asc', (r) => {
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
    await this.run('records', (c, t) =>
      this.scanRecords(c, t, 'desc', (r) => {
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
    await this.run('prune', (c, t) => t(pruneWatermarkScript.run(c, [this.keys.meta], [before])));
    const ids: string[] = [];
    await this.run('prune', (c, t) =>
      this.scanRecords(c, t, 'asc', (r, id) => {
        if (r.time < before) ids.push(id);
      }),
    );
    let deleted = 0;
    for (let i = 0; i < ids.length; i += PRUNE_BATCH) {
      const batch = ids.slice(i, i + PRUNE_BATCH);
      deleted += await this.run('prune', (c, t) => t(c.xdel(this.keys.records, ...batch)));
    }
    return deleted;
  }

  async listBudgets(): Promise<StoredBudget[]> {
    const all = await this.run('listBudgets', (c, t) => t(c.hgetall(this.keys.budgets)));
    return Object.keys(all)
      .sort()
      .map((id) => ({ id, spec: JSON.parse(all[id] as string) as Record<string, unknown> }));
  }

  async putBudget(budget: StoredBudget): Promise<void> {
    const json = JSON.stringify(budget.spec);
    await this.run('putBudget', (c, t) => t(c.hset(this.keys.budgets, budget.id, json)));
  }

  async deleteBudget(id: string): Promise<boolean> {
    const n = await this.run('deleteBudget', (c, t) => t(c.hdel(this.keys.budgets, id)));
    return n > 0;
  }

  async ping(): Promise<void> {
    await this.run('ping', (c, t) => t(c.ping()));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (!this.ownsClient) return;
    let client: Redis;
    try {
      client = await this.clientPromise;
    } catch {
      return;
    }
    if (client.status === 'ready') {
      try {
        await withTimeout(client.quit(), this.commandTimeoutMs);
        return;
      } catch (err: unknown) {
        diag.debug('tollgate: Redis QUIT failed, disconnecting', err);
      }
    }
    client.disconnect();
  }

  private async connect(url: string, maxReconnectDelayMs: number, extra: RedisOptions | undefined): Promise<Redis> {
    const RedisClient = await loadIoredis();
    const client = new RedisClient(url, {
      connectTimeout: Math.max(1_000, this.commandTimeoutMs * 2),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times - 1, 16), maxReconnectDelayMs),
      ...extra,
    });
    if (this.closed) {
      client.disconnect();
      return client;
    }
    let connected = false;
    client.on('error', (err: unknown) => diag.debug('tollgate: Redis connection error', err));
    client.on('ready', () => {
      if (connected) return;
      connected = true;
      diag.info(`tollgate: Redis ledger connected (${redactUrl(url)})`);
    });
    client.on('close', () => {
      if (!connected || this.closed) return;
      connected = false;
      diag.warn(`tollgate: Redis ledger lost its connection (${redactUrl(url)}); reconnecting`);
    });
    this.firstAttempt = new Promise<void>((resolve) => {
      const done = (): void => {
        client.off('ready', done);
        client.off('error', done);
        client.off('end', done);
        resolve();
      };
      client.on('ready', done);
      client.on('error', done);
      client.on('end', done);
    });
    return client;
  }

  /** The client, once it can take commands; waits for the very first connection attempt only. */
  private async usableClient(op: string): Promise<Redis> {
    if (this.closed) throw new LedgerClosedError('Redis');
    let client: Redis;
    try {
      client = await this.clientPromise;
    } catch (err: unknown) {
      throw new RedisUnavailableError(op, 'missing-client', errorMessage(err), { cause: err });
    }
    if (!this.ownsClient || isReady(client)) return client;
    if (this.firstAttempt !== undefined) {
      await withTimeout(this.firstAttempt, this.commandTimeoutMs).catch(() => undefined);
      this.firstAttempt = undefined;
    }
    if (!isReady(client)) {
      throw new RedisUnavailableError(op, 'disconnected', `not connected (client status: ${client.status})`);
    }
    return client;
  }

  private async run<T>(op: string, fn: (client: Redis, timed: Timed) => Promise<T>): Promise<T> {
    try {
      const client = await this.usableClient(op);
      return await fn(client, (p) => withTimeout(p, this.commandTimeoutMs));
    } catch (err: unknown) {
      if (err instanceof LedgerClosedError) throw err;
      this.errorCount += 1;
      const wrapped = err instanceof RedisUnavailableError ? err : toUnavailable(op, err);
      if (wrapped.reason === 'reply') diag.error(`tollgate: ${wrapped.message}`);
      else diag.debug(`tollgate: ${wrapped.message}`);
      throw wrapped;
    }
  }

  /** Reads every stream entry, page by page, oldest first ('asc') or newest first ('desc'). */
  private async scanRecords(
    client: Redis,
    timed: Timed,
    order: 'asc' | 'desc',
    visit: (record: UsageRecord, id: string) => void,
  ): Promise<void> {
    let cursor = order === 'asc' ? '-' : '+';
    for (;;) {
      const page =
        order === 'asc'
          ? await timed(client.xrange(this.keys.records, cursor, '+', 'COUNT', STREAM_PAGE))
          : await timed(client.xrevrange(this.keys.records, cursor, '-', 'COUNT', STREAM_PAGE));
      for (const [id, fields] of page) {
        const record = decodeRecord(fields);
        if (record !== undefined) visit(record, id);
      }
      if (page.length < STREAM_PAGE) return;
      const last = (page[page.length - 1] as [string, string[]])[0];
      const next = order === 'asc' ? streamIdAfter(last) : streamIdBefore(last);
      if (next === undefined) return;
      cursor = next;
    }
  }
}

const MAX_SEQ = 18_446_744_073_709_551_615n;

/** The smallest stream id after `id` (XRANGE's `(id` needs Redis 6.2; this works on 5.0+). */
function streamIdAfter(id: string): string | undefined {
  const [ms, seq] = id.split('-').map((x) => BigInt(x)) as [bigint, bigint];
  if (seq < MAX_SEQ) return `${ms}-${seq + 1n}`;
  return `${ms + 1n}-0`;
}

/** The largest stream id before `id`; undefined before 0-1. */
function streamIdBefore(id: string): string | undefined {
  const [ms, seq] = id.split('-').map((x) => BigInt(x)) as [bigint, bigint];
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  if (ms > 0n) return `${ms - 1n}-${MAX_SEQ}`;
  return undefined;
}

/** Whether the client can take commands now (a function, so that TypeScript does not narrow across awaits). */
function isReady(client: Redis): boolean {
  return client.status === 'ready';
}

function statesFrom(buckets: readonly Bucket[], out: number[], offset: number): BucketState[] {
  return buckets.map((b, i) => ({
    key: b.key,
    budgetId: b.budgetId,
    limitNanos: b.limitNanos,
    spentNanos: out[offset + 2 * i] ?? 0,
    reservedNanos: out[offset + 2 * i + 1] ?? 0,
  }));
}

function toNumbers(reply: unknown): number[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected script reply: ${JSON.stringify(reply)}`);
  return reply.map((v: unknown) => Number(v));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeoutError(ms)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function toUnavailable(op: string, err: unknown): RedisUnavailableError {
  const message = errorMessage(err);
  let reason: RedisUnavailableReason = 'disconnected';
  if (err instanceof CommandTimeoutError || message === 'Command timed out') reason = 'timeout';
  else if (err instanceof Error && err.name === 'ReplyError') reason = 'reply';
  return new RedisUnavailableError(op, reason, message, { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Token counts as the rollup script expects them: finite integers. */
function tokens(n: number): number {
  return Number.isFinite(n) ? Math.round(n) : 0;
}

function checkNanos(op: string, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RedisLedger.${op}: ${field} must be a non-negative integer number of nano-USD, got ${value}`);
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function validateOptions(
  options: RedisLedgerOptions,
  keyPrefix: string,
  numbers: Record<'commandTimeoutMs' | 'streamMaxLen' | 'settledTtlMs' | 'maxReconnectDelayMs', number>,
): void {
  if (options.client === undefined) {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
      throw new Error(
        `RedisLedger: options.url must be a redis:// or rediss:// URL such as 'redis://127.0.0.1:6379/0' (or pass options.client), got ${JSON.stringify(options.url)}`,
      );
    }
  } else if (options.url !== undefined) {
    diag.warn('tollgate: RedisLedger got both options.client and options.url; using options.client');
  }
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0) {
    throw new Error("RedisLedger: options.keyPrefix must be a non-empty string such as 'tollgate:'");
  }
  for (const [field, value] of Object.entries(numbers)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`RedisLedger: options.${field} must be a positive integer, got ${value}`);
    }
  }
}
