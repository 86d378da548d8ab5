import { randomUUID } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { KEY_LAYOUT } from './keyLayout.js';

/** What the ledger reports when the data in Redis was lost under it. */
export interface StoreReset {
  /** The ledger's key prefix. */
  keyPrefix: string;
  /** The epoch this process knew (written when the data was first seen). */
  previousEpoch: string;
  /** The epoch found now (a fresh one: the old data is gone). */
  epoch: string;
  /** Epoch ms when the loss was noticed. */
  time: number;
}

/**
 * Notices when the data under a key prefix disappears (Redis restarted without persistence,
 * FLUSHALL, a failover to an empty replica). An epoch key is written once (`SET NX`) and read
 * back in every pipeline the ledger sends; an epoch that differs from the one this process saw
 * before means the old data, and with it every budget's spend and reservations, is gone. The
 * epoch starts with the key layout of the data (see keyLayout.ts).
 */
export class StoreEpoch {
  private known: string | undefined;
  private candidate = newEpoch();

  constructor(
    private readonly key: string,
    private readonly onLost: (previous: string, current: string) => void,
  ) {}

  /** The epoch this process works in; undefined before the first answer from Redis. */
  get current(): string | undefined {
    return this.known;
  }

  /** Adds the two commands (`SET key candidate NX`, `GET key`) whose replies `check` reads. */
  addTo(pipeline: ChainableCommander): void {
    pipeline.set(this.key, this.candidate, 'NX');
    pipeline.get(this.key);
  }

  /** Reads the reply of the `GET`; calls `onLost` once when the epoch changed. */
  check(reply: unknown): void {
    if (typeof reply !== 'string') return;
    // Our candidate was written: the next SET NX must carry a new one, or a later loss would read back the same value.
    if (reply === this.candidate) this.candidate = newEpoch();
    if (this.known === undefined || reply === this.known) {
      this.known = reply;
      return;
    }
    const previous = this.known;
    this.known = reply;
    this.onLost(previous, reply);
  }
}

function newEpoch(): string {
  return `${KEY_LAYOUT}/${new Date().toISOString()}/${randomUUID()}`;
}
