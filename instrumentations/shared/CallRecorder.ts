import { SpanStatusCode, diag } from '@opentelemetry/api';
import type { AttributeValue, Attributes, Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_TOLLGATE_STATUS } from '../../src/semconv/attributes.js';
import { errorType } from './errorType.js';

/**
 * Owns the span of one provider call: attributes can be added until it ends, and it
 * ends exactly once, whichever of completion, error, break or abort comes first.
 * Never throws (a telemetry failure goes to `diag`).
 */
export class CallRecorder {
  readonly span: Span;
  #ended = false;

  constructor(span: Span) {
    this.span = span;
  }

  get ended(): boolean {
    return this.#ended;
  }

  set(attributes: Attributes): void {
    if (this.#ended) return;
    try {
      this.span.setAttributes(attributes);
    } catch (err: unknown) {
      diag.error('tollgate: could not set span attributes', err);
    }
  }

  setOne(name: string, value: AttributeValue): void {
    this.set({ [name]: value });
  }

  /** Marks the call failed with `err` (status ERROR, `error.type`, exception event). */
  fail(err: unknown): void {
    if (this.#ended) return;
    try {
      this.span.setAttribute(ATTR_ERROR_TYPE, errorType(err));
      if (err instanceof Error) this.span.recordException(err);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      this.span.setAttribute(ATTR_TOLLGATE_STATUS, 'error');
    } catch (caught: unknown) {
      diag.error('tollgate: could not record a call error', caught);
    }
  }

  /** Ends the span (once). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.span.end();
    } catch (err: unknown) {
      diag.error('tollgate: could not end a span', err);
    }
  }
}
