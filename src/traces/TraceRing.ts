import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TOLLGATE_CHARGED_BY,
  ATTR_TOLLGATE_COST_NANOS,
} from '../semconv/attributes.js';

export interface TraceRingOptions {
  /** Traces kept; when a new trace would go over, the trace that started receiving spans first is dropped. Default 200. */
  maxTraces?: number;
  /** Spans kept per trace; later spans of a full trace are counted in `droppedSpans` but not kept. Default 500. */
  maxSpansPerTrace?: number;
  /** Spans kept over all traces; past it the oldest traces are dropped, so memory stays bounded (about 2 KB a span). Default 5000. */
  maxSpans?: number;
}

/** One span as plain JSON. Times are epoch milliseconds. */
export interface TraceSpanJson {
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** SpanKind name: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER. */
  kind: string;
  start: number;
  end: number;
  durationMs: number;
  attributes: Record<string, AttributeValue>;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  events: { name: string; time: number; attributes: Record<string, AttributeValue> }[];
}

/** A trace in the list view. */
export interface TraceSummary {
  traceId: string;
  /** Name of the root span, or of the earliest span when the root was not seen (yet). */
  rootName: string;
  /** Epoch ms of the earliest span start. */
  start: number;
  /** From the earliest start to the latest end, ms. */
  durationMs: number;
  spanCount: number;
  /** Sum of the spans' cost (spans charged by another span are not counted twice). */
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** ERROR when any span ended with an error status. */
  status: 'OK' | 'ERROR';
}

/** A trace with its spans, oldest start first. */
export interface TraceDetail extends TraceSummary {
  /** Spans that arrived after the trace was full. */
  droppedSpans: number;
  spans: TraceSpanJson[];
}

interface StoredTrace {
  traceId: string;
  /**
   * The ended spans themselves (read-only once ended): turned into JSON only when a trace is
   * asked for, so the hot path pays one array push per span, not a copy of its attributes.
   */
  spans: ReadableSpan[];
  droppedSpans: number;
  /** Arrival number of the trace's latest span; orders the list newest first. */
  seq: number;
}

const NANOS_PER_USD = 1_000_000_000;

/**
 * The recent traces, bounded in memory: what `GET /v1/traces` serves. Add it to a
 * TracerProvider as a SpanProcessor, or feed it ended spans with `add`.
 */
export class TraceRing implements SpanProcessor {
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly maxSpans: number;
  /** Insertion order = order in which traces were first seen; the first is evicted first. */
  private readonly traces = new Map<string, StoredTrace>();
  /** The trace of the previous span: spans of one trace mostly end one after another. */
  private lastTrace: StoredTrace | undefined;
  private spanCount = 0;
  private counter = 0;

  constructor(options: TraceRingOptions = {}) {
    const maxTraces = options.maxTraces ?? 200;
    const maxSpansPerTrace = options.maxSpansPerTrace ?? 500;
    const maxSpans = options.maxSpans ?? 5_000;
    if (!Number.isInteger(maxSpans) || maxSpans < 1) {
      throw new Error(`tollgate: TraceRing option "maxSpans" is ${String(maxSpans)}; it must be a positive integer (default 5000)`);
    }
    if (!Number.isInteger(maxTraces) || maxTraces < 1) {
      throw new Error(`tollgate: TraceRing option "maxTraces" is ${String(maxTraces)}; it must be a positive integer (default 200)`);
    }
    if (!Number.isInteger(maxSpansPerTrace) || maxSpansPerTrace < 1) {
      throw new Error(
        `tollgate: TraceRing option "maxSpansPerTrace" is ${String(maxSpansPerTrace)}; it must be a positive integer (default 500)`,
      );
    }
    this.maxTraces = maxTraces;
    this.maxSpansPerTrace = maxSpansPerTrace;
    this.maxSpans = maxSpans;
  }

  /** Number of traces held. */
  get size(): number {
    return this.traces.size;
  }

  /** Keep an ended span. */
  add(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let trace = this.lastTrace;
    if (trace === undefined || trace.traceId !== traceId) {
      trace = this.traces.get(traceId);
      if (trace === undefined) {
        trace = { traceId, spans: [], droppedSpans: 0, seq: 0 };
        this.traces.set(traceId, trace);
        if (this.traces.size > this.maxTraces) this.evictOldest();
      }
      this.lastTrace = trace;
    }
    trace.seq = ++this.counter;
    if (trace.spans.length >= this.maxSpansPerTrace) {
      trace.droppedSpans += 1;
      return;
    }
    trace.spans.push(span);
    this.spanCount += 1;
    while (this.spanCount > this.maxSpans && this.traces.size > 1) this.evictOldest();
  }

  /** Summaries, most recently updated first. `limit` defaults to every trace held. */
  list(limit?: number): TraceSummary[] {
    const all = [...this.traces.values()].sort((a, b) => b.seq - a.seq);
    const n = limit === undefined ? all.length : Math.max(0, Math.floor(limit));
    return all.slice(0, n).map((t) => summarize(t.traceId, t.spans.map(spanToJson)));
  }

  /** One trace with its spans; undefined when it is not (or no longer) held. */
  get(traceId: string): TraceDetail | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    const spans = trace.spans.map(spanToJson).sort((a, b) => a.start - b.start);
    return { ...summarize(trace.traceId, spans), droppedSpans: trace.droppedSpans, spans };
  }

  private evictOldest(): void {
    const oldest = this.traces.values().next();
    if (oldest.done === true) return;
    this.traces.delete(oldest.value.traceId);
    this.spanCount -= oldest.value.spans.length;
    if (this.lastTrace === oldest.value) this.lastTrace = undefined;
  }

  /** Forget every trace. */
  clear(): void {
    this.traces.clear();
    this.lastTrace = undefined;
    this.spanCount = 0;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    this.add(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function hrToMs(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

function plainAttributes(attributes: Attributes): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function statusCodeName(code: SpanStatusCode): 'UNSET' | 'OK' | 'ERROR' {
  if (code === SpanStatusCode.OK) return 'OK';
  if (code === SpanStatusCode.ERROR) return 'ERROR';
  return 'UNSET';
}

function spanToJson(span: ReadableSpan): TraceSpanJson {
  const start = hrToMs(span.startTime);
  const end = hrToMs(span.endTime);
  const json: TraceSpanJson = {
    spanId: span.spanContext().spanId,
    name: span.name,
    kind: SpanKind[span.kind] ?? String(span.kind),
    start,
    end,
    durationMs: hrToMs(span.duration),
    attributes: plainAttributes(span.attributes),
    status: { code: statusCodeName(span.status.code) },
    events: span.events.map((e) => ({ name: e.name, time: hrToMs(e.time), attributes: plainAttributes(e.attributes ?? {}) })),
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined) json.parentSpanId = parent;
  if (span.status.message !== undefined && span.status.message !== '') json.status.message = span.status.message;
  return json;
}

function numberAttr(attributes: Record<string, AttributeValue>, key: string): number {
  const value = attributes[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function summarize(traceId: string, spans: readonly TraceSpanJson[]): TraceSummary {
  let root: TraceSpanJson | undefined;
  let earliest: TraceSpanJson | undefined;
  let start = Infinity;
  let end = -Infinity;
  let costNanos = 0;
  let costUsdFallback = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let error = false;
  for (const span of spans) {
    if (span.parentSpanId === undefined && root === undefined) root = span;
    if (earliest === undefined || span.start < earliest.start) earliest = span;
    start = Math.min(start, span.start);
    end = Math.max(end, span.end);
    if (span.status.code === 'ERROR') error = true;
    if (span.attributes[ATTR_TOLLGATE_CHARGED_BY] !== undefined) continue;
    const nanos = numberAttr(span.attributes, ATTR_TOLLGATE_COST_NANOS);
    if (nanos > 0) costNanos += nanos;
    else costUsdFallback += numberAttr(span.attributes, ATTR_GEN_AI_USAGE_COST);
    inputTokens += numberAttr(span.attributes, ATTR_GEN_AI_USAGE_INPUT_TOKENS);
    outputTokens += numberAttr(span.attributes, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS);
  }
  // Without a parentless span (the root is in another process, or has not ended yet), the earliest span stands in.
  root ??= earliest;
  return {
    traceId,
    rootName: root?.name ?? '',
    start: Number.isFinite(start) ? start : 0,
    durationMs: Number.isFinite(start) && Number.isFinite(end) ? end - start : 0,
    spanCount: spans.length,
    costUsd: costNanos / NANOS_PER_USD + costUsdFallback,
    inputTokens,
    outputTokens,
    status: error ? 'ERROR' : 'OK',
  };
}
