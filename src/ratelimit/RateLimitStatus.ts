/** Use and limit of one dimension (requests or tokens) in the current 60 s window. */
export interface RateLimitUse {
  used: number;
  /** null: this dimension is not limited. */
  limit: number | null;
}

/** One provider's rate-limit state, as shown in reports and the HTTP API. */
export interface RateLimitStatus {
  provider: string;
  /** Requests in the last 60 s. */
  rpm: RateLimitUse;
  /** Tokens in the last 60 s. */
  tpm: RateLimitUse;
  /** Epoch ms when the oldest entry leaves the window; null when the window is empty. */
  resetAt: number | null;
  /** Calls queued, waiting for room. */
  waiting: number;
}
