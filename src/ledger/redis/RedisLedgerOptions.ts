import { diag } from '@opentelemetry/api';
import type { Redis, RedisOptions } from 'ioredis';
import { MS_PER_DAY } from '../../time/utcWindows.js';

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

/** RedisLedgerOptions with every default applied (`url` / `client` / `clientOptions` as given). */
export type ResolvedRedisOptions = Required<Omit<RedisLedgerOptions, 'url' | 'client' | 'clientOptions'>> &
  Pick<RedisLedgerOptions, 'url' | 'client' | 'clientOptions'>;

/**
 * Applies the defaults and checks every value; throws naming the option and what it
 * accepts. Given both `client` and `url`, warns and uses the client.
 */
export function resolveRedisOptions(urlOrOptions: string | RedisLedgerOptions): ResolvedRedisOptions {
  const options: RedisLedgerOptions = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
  const resolved: ResolvedRedisOptions = {
    ...options,
    keyPrefix: options.keyPrefix ?? 'tollgate:',
    commandTimeoutMs: options.commandTimeoutMs ?? 500,
    streamMaxLen: options.streamMaxLen ?? 100_000,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2_000,
    settledTtlMs: options.settledTtlMs ?? 7 * MS_PER_DAY,
  };
  if (options.client === undefined) {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
      throw new Error(
        `RedisLedger: options.url must be a redis:// or rediss:// URL such as 'redis://127.0.0.1:6379/0' (or pass options.client), got ${JSON.stringify(options.url)}`,
      );
    }
  } else if (options.url !== undefined) {
    diag.warn('tollgate: RedisLedger got both options.client and options.url; using options.client');
  }
  if (typeof resolved.keyPrefix !== 'string' || resolved.keyPrefix.length === 0) {
    throw new Error("RedisLedger: options.keyPrefix must be a non-empty string such as 'tollgate:'");
  }
  for (const field of ['commandTimeoutMs', 'streamMaxLen', 'settledTtlMs', 'maxReconnectDelayMs'] as const) {
    const value = resolved[field];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`RedisLedger: options.${field} must be a positive integer, got ${value}`);
    }
  }
  return resolved;
}
