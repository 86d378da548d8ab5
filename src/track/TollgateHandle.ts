import type { Span, Tracer } from '@opentelemetry/api';
import type { Nanos } from '../core/money.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { CallDriver } from './CallDriver.js';

/** The admission decided for one call, as callers may read it. */
export interface AdmissionInfo {
  /** allow: fits; warn: over a warn budget, allowed; fallback: use `model` instead of `requestedModel`. */
  decision: 'allow' | 'warn' | 'fallback';
  /** The model to send the request with (differs from requestedModel after a fallback). */
  model: string;
  requestedModel: string;
  /** Worst-case amount reserved, nano-USD. */
  reservedNanos: Nanos;
  /** The tightest request-scope limit that applies to this call, nano-USD, if any. */
  requestLimitNanos?: Nanos;
  /** The output limit tollgate set on the request because the caller set none, if any. */
  outputLimit?: number;
}

/**
 * What wrappers and instrumentations need from a tollgate: the call driver every model call
 * goes through (it admits through the budget engine, so enforcement needs no span processor),
 * the tracer for the other spans, and the token estimator.
 */
export interface TollgateHandle {
  /**
   * false: tollgate is switched off (config `enabled = false`, TOLLGATE_ENABLED=false) and
   * instrumentations return the client untouched. Default (absent) true.
   */
  readonly enabled?: boolean;
  /** Tracer of tollgate's own spans (instrumentation scope 'tollgate'). */
  readonly tracer: Tracer;
  /** Put prompt and completion text on spans (default false). */
  readonly captureContent: boolean;
  /** The one call driver: estimate, span, admission, rate limit, stream accounting, settlement. */
  readonly calls: CallDriver;
  /** Estimated input tokens for a request body (chat messages, prompt, embedding input). */
  estimateInputTokens(model: string, input: unknown): number;
  /** Price a usage vector, integer nano-USD (0 for unknown models). */
  costNanos(provider: string, model: string, usage: TokenUsage): Nanos;
  /**
   * The admission of a call span tollgate started or admitted (undefined for other spans).
   * Rejects with the refusal when the call was denied.
   */
  admission(span: Span): Promise<AdmissionInfo | undefined>;
}
