/** The limit that was hit. */
export type RateLimitKind = 'rpm' | 'tpm';

/**
 * Why the call was refused:
 * - `limit`: over the limit and the provider's `onLimit` is `reject`;
 * - `max_wait`: waiting for room would take longer than `maxWaitMs`;
 * - `too_large`: the call alone needs more tokens than the tokens-per-minute limit.
 */
export type RateLimitReason = 'limit' | 'max_wait' | 'too_large';

export interface RateLimitDetails {
  provider: string;
  kind: RateLimitKind;
  reason: RateLimitReason;
  /** Requests (rpm) or tokens (tpm) used in the window when the call was refused. */
  used: number;
  limit: number;
  /** Tokens the refused call asked for. */
  requestedTokens: number;
  /** How long until the call would fit; Infinity for `too_large`. */
  retryAfterMs: number;
  /** The configured maximum wait, for `max_wait`. */
  maxWaitMs?: number;
}

const UNIT: Record<RateLimitKind, string> = { rpm: 'requests per minute', tpm: 'tokens per minute' };

/**
 * Thrown by `RateLimiter.acquire` when a call may not go out now: typed, with
 * the provider, the limit that was hit, the use, and when to retry.
 */
export class RateLimitError extends Error {
  readonly provider: string;
  readonly kind: RateLimitKind;
  readonly reason: RateLimitReason;
  readonly used: number;
  readonly limit: number;
  readonly requestedTokens: number;
  readonly retryAfterMs: number;
  readonly maxWaitMs: number | undefined;

  constructor(details: RateLimitDetails) {
    super(messageFor(details));
    this.name = 'RateLimitError';
    this.provider = details.provider;
    this.kind = details.kind;
    this.reason = details.reason;
    this.used = details.used;
    this.limit = details.limit;
    this.requestedTokens = details.requestedTokens;
    this.retryAfterMs = details.retryAfterMs;
    this.maxWaitMs = details.maxWaitMs;
  }

  toJSON(): Omit<RateLimitDetails, 'retryAfterMs'> & { name: string; message: string; retryAfterMs: number | null } {
    return {
      name: this.name,
      message: this.message,
      provider: this.provider,
      kind: this.kind,
      reason: this.reason,
      used: this.used,
      limit: this.limit,
      requestedTokens: this.requestedTokens,
      retryAfterMs: Number.isFinite(this.retryAfterMs) ? this.retryAfterMs : null,
      ...(this.maxWaitMs !== undefined ? { maxWaitMs: this.maxWaitMs } : {}),
    };
  }
}

function messageFor(d: RateLimitDetails): string {
  if (d.reason === 'too_large') {
    return (
      `tollgate: ${d.provider} call needs ${d.requestedTokens} tokens, more than the limit of ${d.limit} ${UNIT.tpm}; ` +
      'it can never be admitted (raise the tpm limit or split the call)'
    );
  }
  const use =
    `tollgate: ${d.provider} rate limit reached: ${d.used} of ${d.limit} ${UNIT[d.kind]} used` +
    (d.kind === 'tpm' ? `, this call needs ${d.requestedTokens}` : '');
  if (d.reason === 'max_wait') {
    return `${use}; waiting for room would take ${d.retryAfterMs} ms, more than maxWaitMs ${d.maxWaitMs ?? 0}`;
  }
  return `${use}; retry in ${d.retryAfterMs} ms`;
}
