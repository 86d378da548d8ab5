import type { RateLimitKind } from './RateLimitError.js';

/** The answer of `RateLimiter.tryAcquire` (`tollgate.checkRateLimit`), given at once. */
export interface RateLimitCheck {
  /** true: the call fits the window and was counted in it; send it now. false: hold it back. */
  allowed: boolean;
  provider: string;
  /** The limit that holds the call back (absent when allowed). */
  limit?: RateLimitKind;
  /** Use of that limit in the current window, and the limit (absent when allowed). */
  used?: number;
  max?: number;
  /** Milliseconds until the window has room for the call: 0 when allowed, Infinity when it never will (more tokens than the limit). */
  retryAfterMs: number;
}

/** What a limiter reports each time a limit holds a call back (the `rate_limited` event's fields but `time`). */
export interface RateLimitedInfo {
  provider: string;
  limit: RateLimitKind;
  /** `wait`: queued; `reject`: refused with RateLimitError; `check`: tryAcquire answered no. */
  action: 'wait' | 'reject' | 'check';
  used: number;
  max: number;
  retryAfterMs: number;
}
