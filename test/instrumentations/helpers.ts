import type { Span, Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AdmissionInfo, TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';

/** Test prices: 1_000 nano-USD per input token, 2_000 per output token. */
export const INPUT_NANOS = 1_000;
export const OUTPUT_NANOS = 2_000;

export interface TestTollgate extends TollgateHandle {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans. */
  spans(): ReadableSpan[];
  /** Decides the admission of each started span (default: allow the requested model). */
  admit: (span: Span, requestedModel: string) => Promise<AdmissionInfo | undefined>;
  /** When set, startSpan throws this error (a synchronous deny). */
  denyAtStart: Error | undefined;
}

/**
 * A TollgateHandle without the processor: a BasicTracerProvider exporting to memory,
 * a scriptable admission, word-count estimates and a linear test price.
 */
export function createTestTollgate(captureContent = false): TestTollgate {
  const exporter = new InMemorySpanExporter();
  const requested = new Map<string, string>();
  const handle: TestTollgate = {
    exporter,
    captureContent,
    denyAtStart: undefined,
    admit: (_span, model) =>
      Promise.resolve({ decision: 'allow', model, requestedModel: model, reservedNanos: 0 }),
    spans: () => exporter.getFinishedSpans(),
    tracer: undefined as unknown as Tracer,
    admission(span: Span) {
      return handle.admit(span, requested.get(span.spanContext().spanId) ?? 'unknown');
    },
    estimateInputTokens(_model: string, input: unknown) {
      return JSON.stringify(input ?? '').split(/\s+/).length;
    },
    costNanos(_provider: string, _model: string, usage: TokenUsage) {
      return usage.input * INPUT_NANOS + usage.output * OUTPUT_NANOS;
    },
  };
  const gate: SpanProcessor = {
    onStart(span) {
      if (handle.denyAtStart !== undefined) throw handle.denyAtStart;
      const model = span.attributes['gen_ai.request.model'];
      requested.set(span.spanContext().spanId, typeof model === 'string' ? model : 'unknown');
    },
    onEnd: () => undefined,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({ spanProcessors: [gate, new SimpleSpanProcessor(exporter)] });
  (handle as { tracer: Tracer }).tracer = provider.getTracer('tollgate-test');
  return handle;
}
