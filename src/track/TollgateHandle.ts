import type { Span, Tracer } from '@opentelemetry/api';
import type { Nanos } from '../core/money.js';
import type { TokenUsage } from '../core/TokenUsage.js';

/** The admission decided for one span by the BudgetSpanProcessor. */
export interface AdmissionInfo {
  /** allow: fits; warn: over a warn budget, allowed; fallback: use `model` instead of `requestedModel`. */
  decision: 'allow' | 'warn' | 'fallback';
  /** The model to send the request with (differs from requestedModel after a fallback). */
  model: string;
  requestedModel: string;
  /** Worst-case amount reserved, nano-USD. */
  reservedNanos: Nanos;
  /**
   * The tightest request-scope limit that applies to this call, nano-USD, if any.
   * Streaming instrumentations cut a stream off when its running cost would cross it.
   */
  requestLimitNanos?: Nanos;
}

/**
 * What wrappers and instrumentations need from a tollgate instance. They create
 * spans through `tracer` (the BudgetSpanProcessor admits, prices and settles them)
 * and never touch the ledger directly.
 */
export interface TollgateHandle {
  /** Tracer whose spans the BudgetSpanProcessor sees. */
  readonly tracer: Tracer;
  /** Put prompt and completion text on spans (default false). */
  readonly captureContent: boolean;
  /**
   * The admission for a span that was just started. Resolves at once for synchronous
   * stores; rejects with BudgetExceededError when the call was denied (asynchronous
   * stores decide here rather than in startSpan). Undefined: the span was not admitted
   * (not a GenAI span, or charged by an enclosing span).
   */
  admission(span: Span): Promise<AdmissionInfo | undefined>;
  /**
   * The same admission without a promise when it is already decided (synchronous stores):
   * returns the info (or undefined), throws BudgetExceededError on a deny, and returns a
   * promise only while an asynchronous store is still deciding. Optional: absent means
   * callers use `admission()`.
   */
  admissionNow?(span: Span): AdmissionInfo | undefined | Promise<AdmissionInfo | undefined>;
  /** Estimated input tokens for a request body (chat messages, prompt, embedding input). */
  estimateInputTokens(model: string, input: unknown): number;
  /** Price a usage vector, integer nano-USD (0 for unknown models under 'zero'/'warn'). */
  costNanos(provider: string, model: string, usage: TokenUsage): Nanos;
  /**
   * Waits for the provider's requests/tokens-per-minute limit (or throws RateLimitError
   * when configured to reject). Call before sending a request. Optional: absent means unlimited.
   */
  rateLimit?(provider: string, estimatedTokens: number): Promise<void>;
}
