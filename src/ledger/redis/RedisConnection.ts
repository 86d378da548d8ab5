import { diag } from '@opentelemetry/api';
import type { Redis, RedisOptions } from 'ioredis';
import { LedgerClosedError } from '../LedgerClosedError.js';
import { loadIoredis } from './loadIoredis.js';
import { RedisUnavailableError } from './RedisUnavailableError.js';
import type { RedisUnavailableReason } from './RedisUnavailableError.js';

/** Applies the per-command time limit to one command. */
export type Timed = <T>(p: Promise<T>) => Promise<T>;

export interface RedisConnectionOptions {
  /** Used when `client` is not given: the connection opens (and owns) its own client. */
  url?: string;
  /** A client the caller owns: never closed here. */
  client?: Redis;
  commandTimeoutMs: number;
  maxReconnectDelayMs: number;
  clientOptions?: RedisOptions;
}

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * The Redis ledger's client: opened lazily (ioredis is loaded on first use), commands
 * time-limited, failures counted and turned into RedisUnavailableError. The client
 * reconnects by itself; while it is down, calls fail fast instead of queueing.
 */
export class RedisConnection {
  private readonly commandTimeoutMs: number;
  private readonly ownsClient: boolean;
  private readonly clientPromise: Promise<Redis>;
  private firstAttempt: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private errorCount = 0;
  private readonly readyListeners = new Set<() => void>();

  constructor(options: RedisConnectionOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs;
    if (options.client !== undefined) {
      this.ownsClient = false;
      this.clientPromise = Promise.resolve(options.client);
      this.current = options.client;
    } else {
      this.ownsClient = true;
      this.clientPromise = this.connect(options.url as string, options.maxReconnectDelayMs, options.clientOptions);
      // Failures also surface on each call (as RedisUnavailableError, reason 'missing-client').
      this.clientPromise.catch((err: unknown) => diag.error(`tollgate: ${errorMessage(err)}`));
    }
  }

  /** Number of calls that failed because Redis could not answer. */
  get errors(): number {
    return this.errorCount;
  }

  /**
   * Runs `fn` with a usable client and a time limit per command (`waitMs`, default
   * `commandTimeoutMs`). Any failure rejects with RedisUnavailableError (counted `failures`
   * times: a pipeline counts each call in it), or with LedgerClosedError after `close()`.
   */
  async run<T>(op: string, fn: (client: Redis, timed: Timed) => Promise<T>, waitMs = this.commandTimeoutMs, failures = 1): Promise<T> {
    try {
      const client = await this.usableClient(op, waitMs);
      return await fn(client, (p) => withTimeout(p, waitMs));
    } catch (err: unknown) {
      if (err instanceof LedgerClosedError) throw err;
      this.errorCount += failures;
      const wrapped = toUnavailable(op, err);
      if (wrapped.reason === 'reply') diag.error(`tollgate: ${wrapped.message}`);
      else diag.debug(`tollgate: ${wrapped.message}`);
      throw wrapped;
    }
  }

  /** Counts calls that failed inside a command that itself succeeded (one call of a pipeline). */
  countFailure(): void {
    this.errorCount += 1;
  }

  /** Calls `listener` each time the client (re)connects and can take commands; returns the unsubscribe. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    void this.clientPromise.then(
      (client) => {
        if (!this.ownsClient && !this.watched.has(client)) {
          this.watched.add(client);
          client.on('ready', () => this.emitReady());
        }
      },
      () => undefined,
    );
    return () => this.readyListeners.delete(listener);
  }

  /** Whether the client is connected now (no command needed). */
  get connected(): boolean {
    return this.current !== undefined && isReady(this.current);
  }

  private readonly watched = new WeakSet<Redis>();
  private current: Redis | undefined;

  private emitReady(): void {
    for (const listener of this.readyListeners) {
      try {
        listener();
      } catch (err: unknown) {
        diag.error('tollgate: a Redis reconnect listener threw', err);
      }
    }
  }

  /** Idempotent: QUITs (or disconnects) a client it opened; a client it was given stays open. */
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
    this.current = client;
    if (this.closed) {
      client.disconnect();
      return client;
    }
    let connected = false;
    client.on('error', (err: unknown) => diag.debug('tollgate: Redis connection error', err));
    client.on('ready', () => {
      this.emitReady();
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

  /** The client, once it can take commands; waits (up to `waitMs`) for the very first connection attempt only. */
  private async usableClient(op: string, waitMs: number): Promise<Redis> {
    if (this.closed) throw new LedgerClosedError('Redis');
    let client: Redis;
    try {
      client = await this.clientPromise;
    } catch (err: unknown) {
      throw new RedisUnavailableError(op, 'missing-client', errorMessage(err), { cause: err });
    }
    if (!this.ownsClient || isReady(client)) return client;
    if (this.firstAttempt !== undefined) {
      await withTimeout(this.firstAttempt, waitMs).catch(() => undefined);
      if (isReady(client)) this.firstAttempt = undefined;
    }
    if (!isReady(client)) {
      throw new RedisUnavailableError(op, 'disconnected', `not connected (client status: ${client.status})`);
    }
    return client;
  }
}

/** Whether the client can take commands now (a function, so that TypeScript does not narrow across awaits). */
function isReady(client: Redis): boolean {
  return client.status === 'ready';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeoutError(ms)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The failure as a RedisUnavailableError (unchanged when it is one already), with its reason. */
export function toUnavailable(op: string, err: unknown): RedisUnavailableError {
  if (err instanceof RedisUnavailableError) return err;
  const message = errorMessage(err);
  let reason: RedisUnavailableReason = 'disconnected';
  if (err instanceof CommandTimeoutError || message === 'Command timed out') reason = 'timeout';
  else if (err instanceof Error && err.name === 'ReplyError') reason = 'reply';
  return new RedisUnavailableError(op, reason, message, { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
