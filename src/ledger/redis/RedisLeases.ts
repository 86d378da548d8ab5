import { randomBytes } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import type { Problems } from '../../core/Problems.js';
import { nanosToUsd } from '../../core/money.js';
import type { Bucket, BucketState, LeaseStatus, ReserveRequest, ReserveResult } from '../Ledger.js';
import type { Lease } from './LeaseBook.js';
import { LeaseBook } from './LeaseBook.js';
import type { RedisConnection } from './RedisConnection.js';
import type { LeaseSpendEvent, ResolvedLeaseOptions } from './RedisLedgerOptions.js';
import type { RedisUnavailableError } from './RedisUnavailableError.js';
import type { RedisWriter } from './RedisWriter.js';

/** Delay before giving leases back is tried again while the journal or Redis is not ready. */
const RECOVER_RETRY_MS = 1_000;

export interface RedisLeasesOptions {
  leases: ResolvedLeaseOptions;
  problems: Problems;
  onLease: ((event: LeaseSpendEvent) => void) | undefined;
}

/**
 * The Redis ledger's leases: while Redis answers, this process holds in each enforced counter it
 * reserves in a lease (a share of the counter's free room, reserved in Redis under its own id and
 * refreshed as the counter is used, so the cap holds for every process: settled + reservations +
 * leases <= limit). While Redis cannot answer, a call whose enforced counters all have a usable
 * lease with room is admitted from them (LeaseBook); its settlement goes to the journal as any
 * other. When Redis answers again the journal is replayed first, then the calls still in flight
 * are put in Redis as reservations, and only then are the leases that were spent from given back:
 * at no moment is spend that happened during the outage missing from Redis and its lease released.
 */
export class RedisLeases {
  private readonly book: LeaseBook;
  private recovering: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly stopReady: () => void;
  private closed = false;

  constructor(
    private readonly writer: RedisWriter,
    private readonly connection: RedisConnection,
    private readonly o: RedisLeasesOptions,
  ) {
    this.book = new LeaseBook(`${process.pid}-${randomBytes(4).toString('hex')}`, o.leases.ttlMs);
    this.stopReady = connection.onReady(() => {
      if (this.book.outage) void this.recover();
    });
  }

  /** After a reservation Redis took: give back what was spent during an outage, and take or refresh due leases (in the background). */
  afterReserve(req: ReserveRequest): void {
    if (this.book.outage) void this.recover();
    for (const b of req.buckets) if (this.book.due(b, req.now)) void this.take(b, req.now);
  }

  /**
   * A reservation did not fit in `failed`: when this process' own lease there would make room,
   * the lease is given back (and retaken later) so the call can use it. True: try again.
   */
  async giveBackFor(req: ReserveRequest, failed: BucketState): Promise<boolean> {
    const lease = this.book.get(failed.key);
    if (lease === undefined || lease.spentFrom || lease.amountNanos === 0) return false;
    if (failed.spentNanos + failed.reservedNanos - lease.amountNanos + req.amountNanos > failed.limitNanos) return false;
    const bucket = req.buckets.find((b) => b.key === failed.key) as Bucket;
    await this.writer.releaseLease(lease.id);
    // An empty lease until the next refresh is due: the room goes to calls, not straight back into a lease.
    this.book.taken(bucket, 0, failed.spentNanos, req.now);
    return true;
  }

  /** Redis could not answer `req`: its answer from the leases, or undefined (the budgets' failMode decides). */
  admit(req: ReserveRequest, err: RedisUnavailableError): ReserveResult | undefined {
    const admitted = this.book.admit(req);
    if (admitted === undefined) return undefined;
    for (const lease of admitted.started) this.started(lease, req, err);
    return { ok: true, states: admitted.states };
  }

  /** Settling a call: one admitted from leases is charged its real cost there. */
  settled(id: string, costNanos: number): boolean {
    return this.book.settled(id, costNanos);
  }

  /** The settlement of a call admitted from leases reached Redis or the journal. */
  settleDone(id: string): void {
    this.book.settleDone(id);
  }

  /** Releasing a call: one admitted from leases gives its reservation back. True when it was one. */
  released(id: string): boolean {
    return this.book.released(id);
  }

  /** Redis lost its data: the leases are gone there, and are taken again. */
  storeLost(): void {
    this.book.forgetAll();
  }

  /** The leases this process holds now. */
  list(now: number): LeaseStatus[] {
    return this.book.list(now).map((l) => ({
      bucketKey: l.bucketKey,
      budgetId: l.budgetId,
      leaseUsd: nanosToUsd(l.amountNanos),
      remainingUsd: nanosToUsd(l.remainingNanos),
      usable: l.usable,
      usableUntil: l.usableUntil,
      spentFrom: l.spentFrom,
    }));
  }

  /** Replays the journal, moves the calls in flight to Redis and gives back the leases spent from; resolves when done or deferred. */
  recover(): Promise<void> {
    this.recovering ??= this.recoverOnce().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopReady();
  }

  private async take(bucket: Bucket, now: number): Promise<void> {
    const { sharePpm, maxNanos, ttlMs } = this.o.leases;
    try {
      const [amount = 0, spent = 0] = await this.writer.lease(this.book.leaseId(bucket.key), bucket, now, now + 2 * ttlMs, sharePpm, maxNanos);
      this.book.taken(bucket, amount, spent, now);
    } catch (err: unknown) {
      this.book.takeFailed(bucket.key);
      diag.debug(`tollgate: taking a lease in ${bucket.key} failed`, err);
    }
  }

  private async recoverOnce(): Promise<void> {
    if (this.closed || !this.book.outage) return;
    try {
      await this.writer.flush();
      if (this.writer.journal.pending > 0) throw new Error(`${this.writer.journal.pending} journaled settlements are not in Redis yet`);
      const inFlight = this.book.inFlight();
      await Promise.all(inFlight.map((r) => this.writer.readd(r)));
      this.book.movedToRedis(inFlight.map((r) => r.id));
      // Calls admitted (or settled into the journal) meanwhile: Redis went away again.
      if (!this.book.quiet || this.writer.journal.pending > 0) throw new Error('Redis went away again while leases were being given back');
      const spent = this.book.spent();
      await Promise.all(spent.map((l) => this.writer.releaseLease(l.id)));
      for (const l of spent) this.book.forget(l.bucketKey);
      if (spent.length > 0) diag.info(`tollgate: Redis answers again; ${spent.length} leases spent from during the outage were given back after their spend was replayed`);
    } catch (err: unknown) {
      diag.debug('tollgate: giving leases back after an outage is deferred', err);
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.connection.connected) void this.recover();
      else this.retryLater();
    }, RECOVER_RETRY_MS);
    this.retryTimer.unref();
  }

  private started(lease: Lease, req: ReserveRequest, err: RedisUnavailableError): void {
    const remaining = lease.amountNanos - lease.usedNanos + req.amountNanos;
    this.o.problems.report(
      'store',
      `Redis cannot be reached (${err.reason}): calls under budget "${lease.budgetId}" (${lease.bucketKey}) are admitted from this process' lease ` +
        `($${nanosToUsd(lease.amountNanos).toFixed(6)}) until it is spent or ${new Date(lease.usableUntil).toISOString()}; then its failMode applies`,
    );
    try {
      this.o.onLease?.({
        bucketKey: lease.bucketKey,
        budgetId: lease.budgetId,
        leaseUsd: nanosToUsd(lease.amountNanos),
        remainingUsd: nanosToUsd(remaining),
        usableUntil: lease.usableUntil,
        reason: err.reason,
        time: req.now,
      });
    } catch (listenerErr: unknown) {
      this.o.problems.report('telemetry', 'a lease listener threw', listenerErr);
    }
  }
}
