import type { Redis } from 'ioredis';
import type { UsageRecord } from '../../core/UsageRecord.js';
import type { Bucket, ReserveRequest } from '../Ledger.js';
import type { BatchCall, BatchItem, BatchSettings } from './planBatch.js';
import { planBatch } from './planBatch.js';
import type { RedisConnection } from './RedisConnection.js';
import { toUnavailable } from './RedisConnection.js';
import type { RedisScript } from './RedisScript.js';
import type { StoreEpoch } from './StoreEpoch.js';

interface Pending {
  item: BatchItem;
  waitMs: number;
  resolve(reply: unknown): void;
  reject(err: unknown): void;
}

type PipelineReply = [Error | null, unknown];

export interface RedisBatchOptions extends BatchSettings {
  /** Most writes in one pipeline. */
  maxBatch: number;
}

/**
 * Sends the writes made during one turn of the event loop (reservations, settlements, releases
 * of concurrent calls) to Redis in one pipeline, as few script calls: every reservation of the
 * turn in one reserveMany script, every settlement and release in one settleMany script (see
 * planBatch for the order). Each script decides its calls one by one, as one script per call
 * would. A batch is sent at the end of the turn, or at once when it holds `maxBatch` writes.
 * Every pipeline also reads the store's epoch (see StoreEpoch).
 *
 * A batch waits for its answer as long as the longest `waitMs` of its writes: a slow answer is
 * not an outage. A dropped connection fails the batch at once (no offline queue). A script that
 * fails (an error reply) fails every write it holds.
 */
export class RedisBatch {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly epoch: StoreEpoch,
    private readonly o: RedisBatchOptions,
  ) {}

  /** Reserves in the next pipeline; resolves with the reservation's reply (see reserveManyScript). */
  reserve(req: ReserveRequest, waitMs: number): Promise<number[]> {
    return this.add({ kind: 'reserve', req }, waitMs) as Promise<number[]>;
  }

  /**
   * Settles in the next pipeline (`buckets` distinct); resolves with the settlement's reply (see
   * settleManyScript). `reservation`: the live reservation this process made for the call, when it
   * knows it (its amount and buckets are then not read back from Redis to release it).
   */
  settle(record: UsageRecord, buckets: readonly Bucket[], reservation: ReserveRequest | undefined, waitMs: number): Promise<number[]> {
    return this.add({ kind: 'settle', record, buckets, reservation }, waitMs) as Promise<number[]>;
  }

  /** Drops a reservation in the next pipeline; resolves with 1 when there was one, else 0. */
  release(id: string, waitMs: number): Promise<number> {
    return this.add({ kind: 'release', id }, waitMs).then((reply) => (reply as number[])[0] ?? 0);
  }

  /** Runs another script in the next pipeline, in its place among the writes; resolves with its reply. */
  script(op: string, script: RedisScript, keys: readonly string[], args: readonly (string | number)[], waitMs: number): Promise<unknown> {
    return this.add({ kind: 'script', op, script, keys, args }, waitMs);
  }

  /** Sends a pipeline that only reads the epoch (to notice a reset while no call is made). */
  checkEpoch(): Promise<void> {
    return this.connection
      .run('epoch', async (client, timed) => {
        const pipeline = client.pipeline();
        this.epoch.addTo(pipeline);
        const replies = await timed(exec(pipeline));
        this.epoch.check(replies[1]?.[0] === null ? replies[1][1] : undefined);
      }, undefined, 0)
      .catch(() => undefined);
  }

  private add(item: BatchItem, waitMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, waitMs, resolve, reject });
      if (this.queue.length >= this.o.maxBatch) {
        this.send();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  private send(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let waitMs = 0;
    for (const p of batch) waitMs = Math.max(waitMs, p.waitMs);
    let calls: BatchCall<Pending>[];
    try {
      calls = planBatch(batch, this.o);
    } catch (err: unknown) {
      for (const p of batch) p.reject(err);
      return;
    }
    const op = [...new Set(batch.map((p) => opOf(p.item)))].join('+');
    this.connection.run(op, (client, timed) => timed(this.pipeline(client, calls)), waitMs, batch.length).then(
      (replies) => calls.forEach((call, i) => this.answer(call, replies[i] ?? [new Error('no reply in the pipeline'), undefined])),
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  /** Hands each write of a call its part of the call's reply, or the call's error. */
  private answer(call: BatchCall<Pending>, [err, reply]: PipelineReply): void {
    if (err === null && call.sizes === undefined) {
      call.members[0]?.resolve(reply);
      return;
    }
    let failure: unknown = err;
    const sizes = call.sizes ?? [];
    if (failure === null && (!Array.isArray(reply) || reply.length !== sizes.reduce((a, b) => a + b, 0))) {
      failure = new Error(`unexpected ${call.op} script reply: ${JSON.stringify(reply)}`);
    }
    if (failure !== null) {
      for (const p of call.members) {
        this.connection.countFailure();
        p.reject(toUnavailable(opOf(p.item), failure));
      }
      return;
    }
    const values = reply as number[];
    let at = 0;
    call.members.forEach((p, i) => {
      const size = sizes[i] as number;
      p.resolve(values.slice(at, at + size));
      at += size;
    });
  }

  private async pipeline(client: Redis, calls: readonly BatchCall<Pending>[]): Promise<PipelineReply[]> {
    const pipeline = client.pipeline();
    this.epoch.addTo(pipeline);
    for (const c of calls) pipeline.call('evalsha', evalshaArgs(c));
    const replies = await exec(pipeline);
    this.epoch.check(replies[1]?.[0] === null ? replies[1][1] : undefined);
    const out = replies.slice(2);
    // A server that does not know a script yet (first use, or restarted): load it, then run those calls again.
    const missing = out.flatMap((r, i) => (r[0] !== null && r[0].message.startsWith('NOSCRIPT') ? [i] : []));
    if (missing.length === 0) return out;
    const scripts = [...new Set(missing.map((i) => (calls[i] as BatchCall<Pending>).script))];
    const again = client.pipeline();
    for (const s of scripts) again.script('LOAD', s.lua);
    for (const i of missing) {
      again.call('evalsha', evalshaArgs(calls[i] as BatchCall<Pending>));
    }
    const retried = (await exec(again)).slice(scripts.length);
    missing.forEach((i, j) => {
      out[i] = retried[j] ?? [new Error('no reply in the pipeline'), undefined];
    });
    return out;
  }
}

/** The ledger operation a write belongs to (named in errors). */
function opOf(item: BatchItem): string {
  return item.kind === 'script' ? item.op : item.kind;
}

/** EVALSHA's arguments for a call: sha, number of keys, keys, args (one array: a batch holds thousands). */
function evalshaArgs(c: BatchCall<Pending>): (string | number)[] {
  const head: (string | number)[] = [c.script.sha, c.keys.length];
  return head.concat(c.keys, c.args);
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<PipelineReply[]> {
  const replies = await pipeline.exec();
  if (replies === null) throw new Error('the pipeline was discarded');
  return replies;
}
