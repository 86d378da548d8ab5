import { context, SpanStatusCode, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { isPromise } from '../core/maybePromise.js';
import { errorType } from '../core/errorType.js';
import { ATTR_ERROR_TYPE } from '../semconv/attributes.js';

/** Marks a span as failed with `err`: status ERROR, `error.type`, and an exception event. */
export function recordFailure(span: Span, err: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(err));
  if (err instanceof Error) {
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
  }
}

/**
 * Runs `fn` inside a new active span and ends the span exactly once, whether `fn`
 * returns, throws, or returns a promise that settles either way. A synchronous `fn`
 * gives a synchronous result. `onResult` may add attributes from the result before the
 * span ends; an error it throws is not the caller's problem and is ignored.
 */
export function withSpan<R>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => R,
  onResult?: (span: Span, result: Awaited<R>) => void,
  parent: Context = context.active(),
): R {
  const span = tracer.startSpan(name, options, parent);
  const finish = (result: Awaited<R>): void => {
    if (onResult !== undefined) {
      try {
        onResult(span, result);
      } catch {
        // Telemetry from the result is best effort.
      }
    }
    span.end();
  };
  let result: R;
  try {
    result = context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err: unknown) {
    recordFailure(span, err);
    span.end();
    throw err;
  }
  if (isPromise(result)) {
    return Promise.resolve(result).then(
      (value) => {
        finish(value as Awaited<R>);
        return value;
      },
      (err: unknown) => {
        recordFailure(span, err);
        span.end();
        throw err;
      },
    ) as R;
  }
  finish(result as Awaited<R>);
  return result;
}
