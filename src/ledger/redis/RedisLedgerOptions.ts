import { diag } from '@opentelemetry/api';
import type { Redis, RedisOptions } from 'ioredis';
import { Problems } from '../../core/Problems.js';
import { usdToNanos } from '../../core/money.js';
import { MS_PER_DAY } from '../../time/utcWindows.js';
import type { LeaseEvent } from '../../events/TollgateEvents.js';
import type { StoreReset } from './StoreEpoch.js';

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
  /**
   * Reads (usage, records, bucket states, budgets, ping) that get no answer within this time
   * reject with `RedisUnavailableError`. Default 500.
   */
  commandTimeoutMs?: number;
  /**
   * How long a reservation, settlement or release waits for Redis' answer while the connection
   * is up (a slow answer under load is not an outage; a dropped connection fails at once). A
   * reservation without an answer by then fails (the budget's failMode decides the call); a
   * settlement goes to the journal. Default 10000.
   */
  callWaitMs?: number;
  /**
   * Most reservations / settlements / releases sent in one pipeline; more in one event-loop turn go
   * in several, the first sent while the rest are still being made (so Redis works on one while
   * this process prepares the next). Default 64.
   */
  maxBatch?: number;
  /**
   * Directory of the local journal of settlements Redis did not take, replayed (at most once
   * each) when it answers again; shared by the processes of one store. Default
   * `<os.tmpdir()>/tollgate-journal-<hash of url and keyPrefix>`.
   */
  journalDir?: string;
  /**
   * Confirmed settlements of open budget windows this process remembers, to re-add them if Redis
   * loses its data (restart without persistence). 0 turns that off. Default 50000.
   */
  rememberSettlements?: number;
  /** After Redis lost its data, reservations wait this long while every process re-adds its spend. Default 3000. */
  resetGraceMs?: number;
  /** How often the store's epoch is read while no call is made (to notice a reset). Default 1000. */
  epochCheckMs?: number;
  /** Where run-time problems (journaled settlements, a store that lost its data) are reported. Default a Problems writing to stderr. */
  problems?: Problems;
  /** Called when Redis is found to have lost the ledger's data. Default none. */
  onStoreReset?: (reset: StoreReset) => void;
  /** Approximate cap of the usage-record stream (`XADD MAXLEN ~`). Default 100000. */
  streamMaxLen?: number;
  /** Longest wait between reconnection attempts; the backoff starts at 50 ms and doubles. Default 2000. */
  maxReconnectDelayMs?: number;
  /**
   * How long a settled id is remembered at least, so that settling it again has no effect (ids are
   * kept in one hash per slot of this length of the server's clock, for this time to twice it).
   * Default 7 days.
   */
  settledTtlMs?: number;
  /**
   * Extra ioredis options (TLS, password, ...), applied over the ledger's own:
   * `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`,
   * `retryStrategy`, `connectTimeout`. (Command time limits are the ledger's own, with unref'd
   * timers, so they never keep the process alive.) Default none.
   */
  clientOptions?: RedisOptions;
  /**
   * Leases (off by default): while Redis answers, this process holds in each enforced counter it
   * uses (deny and fallback budgets) an explicit share of what is left, reserved in Redis like a
   * call, and admits calls from it while Redis cannot be reached (see RedisLeaseOptions).
   */
  leases?: RedisLeaseOptions;
  /** Called when this process starts admitting calls from a lease because Redis cannot be reached. Default none. */
  onLease?: (event: LeaseSpendEvent) => void;
}

/** How much of a budget a process holds as its lease, and for how long. */
export interface RedisLeaseOptions {
  /**
   * The share of a counter's free room (limit − settled − reserved, not counting this process'
   * own lease) taken as the lease each time it is taken or refreshed: 0 < share <= 0.5. Required.
   */
  share: number;
  /** At most this many USD per lease. Default no maximum. */
  maxUsd?: number;
  /**
   * A lease is refreshed (its amount taken again from the free room) when the process reserves in
   * its counter and the lease is older than `ttlMs / 4`; it can be spent from for `ttlMs` after it
   * was last taken, and is held in Redis for `2 × ttlMs` (so that what was spent from it during
   * an outage is replayed before other processes can take its room). Default 60000.
   */
  ttlMs?: number;
}

/** Emitted once per outage and counter when this process starts admitting calls from its lease (the `lease` event). */
export type LeaseSpendEvent = LeaseEvent;

/** RedisLedgerOptions with every default applied (`url` / `client` / `clientOptions` as given). */
export type ResolvedRedisOptions = Required<Omit<RedisLedgerOptions, 'url' | 'client' | 'clientOptions' | 'onStoreReset' | 'journalDir' | 'leases' | 'onLease'>> &
  Pick<RedisLedgerOptions, 'url' | 'client' | 'clientOptions' | 'onStoreReset' | 'journalDir' | 'onLease'> & { leases: ResolvedLeaseOptions | undefined };

/** Lease options with their defaults applied, money in nanos. */
export interface ResolvedLeaseOptions {
  /** The share in parts per million (integer arithmetic in the Lua script). */
  sharePpm: number;
  /** 0: no maximum. */
  maxNanos: number;
  ttlMs: number;
}

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
    callWaitMs: options.callWaitMs ?? 10_000,
    maxBatch: options.maxBatch ?? 64,
    rememberSettlements: options.rememberSettlements ?? 50_000,
    resetGraceMs: options.resetGraceMs ?? 3_000,
    epochCheckMs: options.epochCheckMs ?? 1_000,
    problems: options.problems ?? new Problems(),
    leases: resolveLeases(options.leases),
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
  if (options.journalDir !== undefined && (typeof options.journalDir !== 'string' || options.journalDir.trim() === '')) {
    throw new Error(`RedisLedger: options.journalDir must be a directory path such as '/var/lib/myapp/tollgate-journal', got ${JSON.stringify(options.journalDir)}`);
  }
  if (!Number.isSafeInteger(resolved.rememberSettlements) || resolved.rememberSettlements < 0) {
    throw new Error(`RedisLedger: options.rememberSettlements must be an integer >= 0 (0 turns it off), got ${resolved.rememberSettlements}`);
  }
  for (const field of ['commandTimeoutMs', 'streamMaxLen', 'settledTtlMs', 'maxReconnectDelayMs', 'callWaitMs', 'maxBatch', 'resetGraceMs', 'epochCheckMs'] as const) {
    const value = resolved[field];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`RedisLedger: options.${field} must be a positive integer, got ${value}`);
    }
  }
  return resolved;
}

/** Checks the `leases` option (a clear error naming the field), and converts it for the ledger. */
function resolveLeases(leases: RedisLeaseOptions | undefined): ResolvedLeaseOptions | undefined {
  if (leases === undefined) return undefined;
  if (typeof leases !== 'object' || leases === null) throw new Error(`RedisLedger: options.leases must be an object such as { share: 0.1 }, got ${JSON.stringify(leases)}`);
  const { share, maxUsd, ttlMs = 60_000 } = leases;
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 0.5) {
    throw new Error(`RedisLedger: options.leases.share must be a number above 0 and at most 0.5 (0.1 = a tenth of the free room of each budget), got ${JSON.stringify(share)}`);
  }
  if (maxUsd !== undefined && (typeof maxUsd !== 'number' || !Number.isFinite(maxUsd) || maxUsd <= 0)) {
    throw new Error(`RedisLedger: options.leases.maxUsd must be a positive number of USD (or left out for no maximum), got ${JSON.stringify(maxUsd)}`);
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1_000) {
    throw new Error(`RedisLedger: options.leases.ttlMs must be an integer number of ms >= 1000, got ${JSON.stringify(ttlMs)}`);
  }
  return { sharePpm: Math.max(1, Math.round(share * 1e6)), maxNanos: maxUsd === undefined ? 0 : usdToNanos(maxUsd), ttlMs };
}
