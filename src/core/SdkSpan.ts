import type {
  Attributes,
  Context,
  HrTime,
  Link,
  SamplingDecision,
  Span,
  SpanContext,
  SpanKind,
  SpanStatus,
  TraceState,
} from '@opentelemetry/api';

/**
 * The part of the OpenTelemetry SDK's span types that tollgate reads, written out so that
 * tollgate's own types depend on `@opentelemetry/api` alone. The SDK's `ReadableSpan`, `Span`,
 * `SpanProcessor` and `Sampler` of both lines (`@opentelemetry/sdk-trace-base` 2.x,
 * `@opentelemetry/sdk-trace` 3.x) fit these shapes, so tollgate's processor and sampler plug
 * into whichever SDK the host runs, and the host keeps one copy of it.
 */
export interface SdkReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly spanContext: () => SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: readonly { readonly name: string; readonly time: HrTime; readonly attributes?: Attributes | undefined }[];
  readonly ended: boolean;
  readonly instrumentationScope: { readonly name: string; readonly version?: string | undefined };
}

/** A started SDK span: the API span plus what the SDK lets a processor read (see SdkReadableSpan). */
export interface SdkSpan extends Span, SdkReadableSpan {
  readonly spanContext: () => SpanContext;
}

/** The SDK's SpanProcessor contract (`onEnding` runs before the span turns read-only). */
export interface SdkSpanProcessor {
  onStart(span: SdkSpan, parentContext: Context): void;
  onEnding?(span: SdkSpan): void;
  onEnd(span: SdkReadableSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** What a sampler decides for one span. */
export interface SdkSamplingResult {
  decision: SamplingDecision;
  attributes?: Readonly<Attributes>;
  traceState?: TraceState;
}

/** The SDK's Sampler contract. */
export interface SdkSampler {
  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SdkSamplingResult;
  toString(): string;
}
