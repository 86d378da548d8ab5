import type { Redis } from 'ioredis';
import type { RedisConnection } from './RedisConnection.js';
import { toUnavailable } from './RedisConnection.js';
import type { RedisScript } from './RedisScript.js';
import type { StoreEpoch } from './StoreEpoch.js';

interface Pending {
  op: string;
  script: RedisScript;
  keys: readonly string[];
  args: readonly (string | number)[];
  waitMs: number;
  resolve(reply: unknown): void;
  reject(err: unknown): void;
}

type PipelineReply = [Error | null, unknown];

/**
 * Sends the script calls made during one turn of the event loop (reservations, settlements,
 * releases of concurrent calls) to Redis in one pipeline: one round trip for many calls, each
 * call still one atomic script. A batch is sent at the end of the turn, or at once when it
 * holds `maxBatch` calls. Every pipeline also reads the store's epoch (see StoreEpoch).
 *
 * A batch waits for its answer as long as the longest `waitMs` of its calls: a slow answer
 * is not an outage. A dropped connection fails the batch at once (no offline queue).
 */
export class RedisBatch {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly epoch: StoreEpoch,
    private readonly maxBatch: number,
  ) {}

  /** Runs the script in the next pipeline; resolves with its reply, rejects with RedisUnavailableError. */
  run(op: string, script: RedisScript, keys: readonly string[], args: readonly (string | number)[], waitMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, script, keys, args, waitMs, resolve, reject });
      if (this.queue.length >= this.maxBatch) {
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

  private send(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const op = [...new Set(batch.map((p) => p.op))].join('+');
    const waitMs = Math.max(...batch.map((p) => p.waitMs));
    this.connection.run(op, (client, timed) => timed(this.pipeline(client, batch)), waitMs, batch.length).then(
      (replies) =>
        batch.forEach((p, i) => {
          const [err, reply] = replies[i] ?? [new Error('no reply in the pipeline'), undefined];
          if (err === null) {
            p.resolve(reply);
          } else {
            this.connection.countFailure();
            p.reject(toUnavailable(p.op, err));
          }
        }),
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  private async pipeline(client: Redis, batch: readonly Pending[]): Promise<PipelineReply[]> {
    const pipeline = client.pipeline();
    this.epoch.addTo(pipeline);
    for (const p of batch) pipeline.evalsha(p.script.sha, p.keys.length, ...p.keys, ...p.args);
    const replies = await exec(pipeline);
    this.epoch.check(replies[1]?.[0] === null ? replies[1][1] : undefined);
    const out = replies.slice(2);
    // A server that does not know a script yet (first use, or restarted): load it, then run those calls again.
    const missing = out.flatMap((r, i) => (r[0] !== null && r[0].message.startsWith('NOSCRIPT') ? [i] : []));
    if (missing.length === 0) return out;
    const scripts = [...new Set(missing.map((i) => (batch[i] as Pending).script))];
    const again = client.pipeline();
    for (const s of scripts) again.script('LOAD', s.lua);
    for (const i of missing) {
      const p = batch[i] as Pending;
      again.evalsha(p.script.sha, p.keys.length, ...p.keys, ...p.args);
    }
    const retried = (await exec(again)).slice(scripts.length);
    missing.forEach((i, j) => {
      out[i] = retried[j] ?? [new Error('no reply in the pipeline'), undefined];
    });
    return out;
  }
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<PipelineReply[]> {
  const replies = await pipeline.exec();
  if (replies === null) throw new Error('the pipeline was discarded');
  return replies;
}
