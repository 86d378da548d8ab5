/** How long a settlement waits for others to share its transaction, by default (ms). */
export const DEFAULT_SETTLE_DELAY_MS = 20;
/** The longest settleDelayMs accepted: a settlement waiting longer would leave the spend other processes see behind by as much. */
export const MAX_SETTLE_DELAY_MS = 1000;

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
   * Kept so that existing configurations load; both values now write the same way. Every
   * reservation, settlement and release is committed by a group commit (all those of one
   * event-loop turn in one transaction) before its promise resolves, so a settlement that
   * resolved survives a SIGKILL. 'batched' used to acknowledge settlements before writing
   * them; group commit makes that trade unnecessary, and choosing it logs a warning once.
   * Default 'transaction'.
   */
  durability?: 'transaction' | 'batched';
  /** Not used any more (it was the write interval of 'batched'); still checked to be a positive whole number. Default 100. */
  flushIntervalMs?: number;
  /** Most operations one group transaction holds: a group is committed at once when this many are queued. Default 1000. */
  maxBatch?: number;
  /**
   * How long a settlement waits for others to share its transaction, ms. A reservation, a
   * release or a read queued in the meantime commits the waiting settlements with it in the next
   * turn; so do `flush()`, `tollgate.forceFlush()`, `close()` and the exit of the process. The
   * settled call's reservation keeps holding its budget until the commit, so no cap is passed
   * while a settlement waits; a process killed with SIGKILL in the meantime loses the waiting
   * settlements' records and spend (their reservations hold the budget until they expire).
   * 0: commit at the end of the event-loop turn. Default 20.
   */
  settleDelayMs?: number;
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
    settleDelayMs: options.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS,
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
  if (!Number.isInteger(resolved.settleDelayMs) || resolved.settleDelayMs < 0 || resolved.settleDelayMs > MAX_SETTLE_DELAY_MS) {
    throw new Error(
      `tollgate: SqliteLedgerOptions.settleDelayMs must be a whole number of milliseconds from 0 to ${MAX_SETTLE_DELAY_MS}, got ${JSON.stringify(resolved.settleDelayMs)}`,
    );
  }
  return resolved;
}
