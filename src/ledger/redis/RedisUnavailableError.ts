/** Why a Redis ledger call could not be answered. */
export type RedisUnavailableReason =
  /** The command got no answer within `commandTimeoutMs`. */
  | 'timeout'
  /** No connection (never connected, dropped, or reconnecting). */
  | 'disconnected'
  /** Redis answered with an error (script error, OOM, READONLY replica...). */
  | 'reply'
  /** The `ioredis` package is not installed. */
  | 'missing-client';

/**
 * Thrown (as a rejected promise) by every `RedisLedger` method when Redis could not
 * answer. The budget engine applies its fail-open / fail-closed policy on it.
 *
 * Detect it with `err instanceof RedisUnavailableError`, or without importing this
 * module with `(err as { code?: unknown }).code === 'LEDGER_UNAVAILABLE'`.
 */
export class RedisUnavailableError extends Error {
  /** Store-independent marker shared by every "the ledger cannot answer" error. */
  readonly code = 'LEDGER_UNAVAILABLE';
  readonly reason: RedisUnavailableReason;
  /** The ledger operation that failed, e.g. `reserve`. */
  readonly operation: string;

  constructor(operation: string, reason: RedisUnavailableReason, message: string, options?: { cause?: unknown }) {
    super(`Redis ledger ${operation} failed (${reason}): ${message}`, options);
    this.name = 'RedisUnavailableError';
    this.reason = reason;
    this.operation = operation;
  }
}
