/** The default embedded store, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = '.tollgate/ledger.db';

export interface SqliteLedgerOptions {
  /**
   * Database file. Default `.tollgate/ledger.db` (relative to the working directory);
   * its directory is created when missing. `:memory:` gives a private in-memory database.
   */
  path?: string;
  /**
   * SQLite `synchronous` setting (the database runs in WAL mode). Default 'NORMAL':
   * every committed transaction survives a crash or SIGKILL of the process; a power
   * loss or OS crash can lose the last transactions (never corrupt the file).
   * 'FULL' also survives power loss, at the cost of an fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a writer waits for another process's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * When a settlement is written. 'transaction' (default): `settle` commits before it returns.
   * 'batched': settlements are queued and written together in one transaction every
   * `flushIntervalMs`, when `maxBatch` are waiting, on `flush()` and on `close()`, which makes a
   * settlement many times cheaper. Reads in this process (reservations, bucket states, usage,
   * records) see queued settlements exactly. What a crash (SIGKILL, power loss) can lose: the
   * settlements of the last `flushIntervalMs` at most; their reservations stay in the file and
   * stop counting when they expire (`reservationTtlMs`), so no budget is ever overspent because
   * of it, but that spend is never counted. Other processes sharing the file see queued
   * settlements once they are written; reservations are atomic across processes in both modes.
   */
  durability?: 'transaction' | 'batched';
  /** 'batched': longest time a settlement waits to be written, ms. Default 100. */
  flushIntervalMs?: number;
  /** 'batched': settlements written at the latest when this many are waiting. Default 1000. */
  maxBatch?: number;
}

/** SqliteLedgerOptions with every default applied. */
export type ResolvedSqliteOptions = Required<SqliteLedgerOptions>;

/** Applies the defaults; throws naming the option when a value is not one it accepts. */
export function resolveSqliteOptions(options: SqliteLedgerOptions): ResolvedSqliteOptions {
  const resolved: ResolvedSqliteOptions = {
    path: options.path ?? DEFAULT_SQLITE_PATH,
    synchronous: options.synchronous ?? 'NORMAL',
    busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
    durability: options.durability ?? 'transaction',
    flushIntervalMs: options.flushIntervalMs ?? 100,
    maxBatch: options.maxBatch ?? 1000,
  };
  if (resolved.synchronous !== 'NORMAL' && resolved.synchronous !== 'FULL') {
    throw new Error(`tollgate: SqliteLedgerOptions.synchronous must be 'NORMAL' or 'FULL', got ${JSON.stringify(resolved.synchronous)}`);
  }
  if (resolved.durability !== 'transaction' && resolved.durability !== 'batched') {
    throw new Error(`tollgate: SqliteLedgerOptions.durability must be 'transaction' or 'batched', got ${JSON.stringify(resolved.durability)}`);
  }
  for (const name of ['flushIntervalMs', 'maxBatch'] as const) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`tollgate: SqliteLedgerOptions.${name} must be a positive whole number, got ${JSON.stringify(value)}`);
    }
  }
  return resolved;
}
