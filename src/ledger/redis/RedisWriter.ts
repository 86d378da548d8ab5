import { diag } from '@opentelemetry/api';
import type { Problems } from '../../core/Problems.js';
import type { UsageRecord } from '../../core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../Ledger.js';
import { LedgerClosedError } from '../LedgerClosedError.js';
import { RedisBatch } from './RedisBatch.js';
import type { RedisConnection } from './RedisConnection.js';
import type { RedisKeys } from './redisKeys.js';
import { RedisScript } from './RedisScript.js';
import { LEASE_SCRIPT } from './leaseScript.js';
import { rollingSlotMs } from './rollingSlotMs.js';
import type { JournalEntry } from './SettlementJournal.js';
import { SettlementJournal } from './SettlementJournal.js';
import { SpendMemory } from './SpendMemory.js';
import { StoreEpoch } from './StoreEpoch.js';
import type { StoreReset } from './StoreEpoch.js';

const leaseScript = new RedisScript('lease', LEASE_SCRIPT);

/** A reservation noticed a reset this many times in a row at most before it gives up. */
const MAX_RESET_RETRIES = 3;
/** Delay before a journal replay is tried again while Redis stays unreachable. */
const REPLAY_RETRY_MS = 1_000;

export interface RedisWriterOptions {
  keys: RedisKeys;
  keyPrefix: string;
  /** How long a reservation, settlement or release waits for Redis' answer. */
  callWaitMs: number;
  maxBatch: number;
  settledTtlMs: number;
  streamMaxLen: number;
  journalDir: string;
  rememberSettlements: number;
  resetGraceMs: number;
  epochCheckMs: number;
  problems: Problems;
  onStoreReset: ((reset: StoreReset) => void) | undefined;
}

/**
 * The Redis ledger's writes and what keeps them whole through outages and restarts:
 * - reservations, settlements and releases go out batched (RedisBatch), waiting `callWaitMs`;
 * - a settlement that gets no answer goes to the local journal and is replayed (settled again
 *   by id: at most once) when Redis answers again;
 * - a store that lost its data (StoreEpoch) is reported, reservations wait `resetGraceMs`
 *   while every process re-adds the spend and reservations it remembers (SpendMemory).
 */
export class RedisWriter {
  readonly journal: SettlementJournal;
  private readonly batch: RedisBatch;
  private readonly epoch: StoreEpoch;
  private readonly memory: SpendMemory;
  private resets = 0;
  private resetUntil = 0;
  private replaying: Promise<void> | undefined;
  private rebuilding: Promise<void> | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private readonly epochTimer: NodeJS.Timeout;
  private readonly stopReady: () => void;
  private closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly o: RedisWriterOptions,
  ) {
    this.epoch = new StoreEpoch(o.keys.epoch, (previous, current) => this.lost(previous, current));
    this.batch = new RedisBatch(connection, this.epoch, o);
    this.journal = new SettlementJournal(o.journalDir);
    this.memory = new SpendMemory(o.rememberSettlements);
    this.stopReady = connection.onReady(() => {
      if (this.journal.hasWork()) void this.replay();
    });
    // Idle processes notice a reset too (and re-add their spend) within one check.
    this.epochTimer = setInterval(() => {
      if (this.connection.connected) void this.batch.checkEpoch();
    }, o.epochCheckMs);
    this.epochTimer.unref();
    if (this.journal.hasWork()) this.scheduleReplay(0);
  }

  /** Reserves; resolves with the script's reply as numbers. Waits out a reset's grace period first. */
  reserve(req: ReserveRequest): Promise<number[]> {
    if (this.resetUntil > Date.now()) return this.reserveAfterReset(req, 0);
    const seen = this.resets;
    return this.batch.reserve(req, this.o.callWaitMs).then((reply) => {
      // Decided against data that was lost in the same round trip: decide again once the spend is back.
      if (this.resets !== seen) return this.reserveAfterReset(req, 1);
      if (reply[0] === 1) this.memory.reserved(req);
      return reply;
    });
  }

  /** Settles; resolves with the script's reply, or undefined when Redis did not answer and the settlement was journaled. */
  settle(record: UsageRecord, distinct: readonly Bucket[]): Promise<number[] | undefined> {
    const entry: JournalEntry = { record, buckets: distinct };
    return this.batch.settle(record, distinct, this.memory.reservation(record.id), this.o.callWaitMs).then(
      (reply) => {
        this.memory.confirmed(entry, Date.now());
        return reply;
      },
      (err: unknown) => {
        if (err instanceof LedgerClosedError) throw err;
        this.journal.append([entry]);
        // Its spend comes back with the replay, which also releases its reservation.
        this.memory.released(record.id);
        this.o.problems.report(
          'store',
          `Redis did not take a settlement; it was written to the local journal in ${this.o.journalDir} and is replayed (once) when Redis answers again`,
          err,
        );
        this.scheduleReplay(REPLAY_RETRY_MS);
        return undefined;
      },
    );
  }

  async release(id: string): Promise<void> {
    await this.batch.release(id, this.o.callWaitMs);
    this.memory.released(id);
  }

  /** Takes (or refreshes) a lease in one counter (see leaseScript); resolves with [amount, spent, reserved]. */
  async lease(id: string, bucket: Bucket, now: number, expiresAt: number, sharePpm: number, maxNanos: number): Promise<number[]> {
    const k = this.o.keys;
    const rolling = bucket.rollingMs ?? 0;
    const keys = [k.bucket(bucket.key), k.reservations(bucket.key), k.reservedTotal(bucket.key), k.reservationRecords, k.epoch];
    const args = [id, sharePpm, maxNanos, now, expiresAt, bucket.limitNanos, rolling, rolling > 0 ? rollingSlotMs(rolling) : 1];
    return toNumbers(await this.batch.script('lease', leaseScript, keys, args, this.o.callWaitMs));
  }

  /** Gives a lease back (drops its reservation). */
  async releaseLease(id: string): Promise<void> {
    await this.batch.release(id, this.o.callWaitMs);
  }

  /**
   * Puts a call admitted from leases during an outage into Redis as a reservation (not checked
   * against the caps: it was admitted already), so that its lease can be given back.
   */
  async readd(req: ReserveRequest): Promise<void> {
    await this.batch.reserve(unenforced(req), this.o.callWaitMs);
    this.memory.reserved(req);
  }

  /**
   * Checks the store's epoch (re-adding what this process remembers if the data was lost), then
   * replays the journal (this ledger's entries and those of processes that are gone); what Redis
   * still does not take stays journaled.
   */
  async flush(): Promise<void> {
    await this.batch.checkEpoch();
    await this.rebuilding;
    await this.replay();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.epochTimer);
    clearTimeout(this.replayTimer);
    this.stopReady();
    this.journal.close();
  }

  /** Reserves after a reset of the store was noticed (waiting out its grace period), trying again while resets keep coming. */
  private async reserveAfterReset(req: ReserveRequest, first: number): Promise<number[]> {
    for (let attempt = first; ; attempt++) {
      await this.afterReset();
      const seen = this.resets;
      const reply = await this.batch.reserve(req, this.o.callWaitMs);
      if (this.resets !== seen && attempt < MAX_RESET_RETRIES) continue;
      if (reply[0] === 1) this.memory.reserved(req);
      return reply;
    }
  }

  private async settleNow(entry: JournalEntry): Promise<number[]> {
    const reply = await this.batch.settle(entry.record, entry.buckets, this.memory.reservation(entry.record.id), this.o.callWaitMs);
    this.memory.confirmed(entry, Date.now());
    return reply;
  }


  private replay(): Promise<void> {
    this.replaying ??= this.replayOnce().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(): Promise<void> {
    if (this.closed) return;
    const take = this.journal.take();
    const results = await Promise.allSettled(take.entries.map((e) => this.settleNow(e)));
    const failed = take.entries.filter((_, i) => results[i]?.status === 'rejected');
    this.journal.finish(take, failed);
    if (take.unreadable > 0) this.o.problems.report('store', `${take.unreadable} unreadable lines in the settlement journal ${this.o.journalDir} were dropped`);
    const replayed = take.entries.length - failed.length;
    if (replayed > 0) diag.info(`tollgate: replayed ${replayed} journaled settlements into Redis`);
    if (failed.length > 0) this.scheduleReplay(REPLAY_RETRY_MS);
  }

  private scheduleReplay(delayMs: number): void {
    if (this.closed || this.replayTimer !== undefined) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      if (this.connection.connected) void this.replay();
      else if (this.journal.hasWork()) this.scheduleReplay(REPLAY_RETRY_MS);
    }, delayMs);
    this.replayTimer.unref();
  }

  private afterReset(): Promise<void> {
    const wait = this.resetUntil - Date.now();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, wait).unref());
  }

  /** The data under the prefix is gone: say so loudly, hold reservations, re-add what this process remembers. */
  private lost(previous: string, current: string): void {
    this.resets++;
    this.resetUntil = Date.now() + this.o.resetGraceMs;
    const snap = this.memory.snapshot(Date.now());
    this.o.problems.report(
      'store',
      `Redis lost tollgate's data under "${this.o.keyPrefix}" (a restart without persistence, FLUSHALL, or a failover to an empty replica): ` +
        `every budget's spend and reservations were reset. This process re-adds the ${snap.settlements.length} settlements and ` +
        `${snap.reservations.length} reservations it remembers${snap.forgotten > 0 ? ` (${snap.forgotten} older ones were forgotten)` : ''}; ` +
        `spend of processes that are gone is lost. Turn on Redis persistence (appendonly yes) for budgets that survive restarts`,
    );
    try {
      this.o.onStoreReset?.({ keyPrefix: this.o.keyPrefix, previousEpoch: previous, epoch: current, time: Date.now() });
    } catch (err: unknown) {
      this.o.problems.report('telemetry', 'a store-reset listener threw', err);
    }
    const readd = [
      ...snap.reservations.map((r) => this.batch.reserve(unenforced(r), this.o.callWaitMs)),
      ...snap.settlements.map((e) => this.settleNow(e)),
    ];
    this.rebuilding = Promise.allSettled(readd).then((results) => {
      const failures = results.filter((r) => r.status === 'rejected').length;
      if (failures > 0) this.o.problems.report('store', `${failures} remembered reservations and settlements could not be re-added to Redis after it lost its data`);
    });
  }
}

/** The reservation with none of its buckets enforced (spend being re-added: it was admitted already). */
function unenforced(req: ReserveRequest): ReserveRequest {
  return { ...req, buckets: req.buckets.map((b) => ({ ...b, enforce: false })) };
}

export function toNumbers(reply: unknown): number[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected script reply: ${JSON.stringify(reply)}`);
  return reply.map((v: unknown) => Number(v));
}
