import { SpanKind, SpanStatusCode, trace as traceApi } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '../time/hrTimeToMilliseconds.js';
import type { SdkReadableSpan as ReadableSpan, SdkSpan as Span, SdkSpanProcessor as SpanProcessor } from '../core/SdkSpan.js';
import {
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TOLLGATE_CHARGED_BY,
  ATTR_TOLLGATE_COST_NANOS,
  ATTR_TOLLGATE_SPAN_KIND,
  ATTR_TOLLGATE_TASK_ID,
} from '../semconv/attributes.js';

export interface TraceRingOptions {
  /** Traces whose summary is kept; when a new trace would go over, the trace seen first is dropped. Default 200. */
  maxTraces?: number;
  /**
   * The most recent traces that also keep their spans (the others keep their summary only).
   * Holding ended spans is what costs the host's garbage collector, so only these do. Default 20.
   */
  detailTraces?: number;
  /** Spans kept per trace; later spans of a full trace are counted in `droppedSpans` but not kept. Default 500. */
  maxSpansPerTrace?: number;
  /** Spans kept over all traces (about 2 KB each); past it the oldest traces give up their spans first. Default 5000. */
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

/** A trace in the list view: every span of the trace seen here, whether its details are still held or not. */
export interface TraceSummary {
  traceId: string;
  /** Name of the root span, or of the earliest span when the root was not seen (yet); a tollgate.task() span as `task {id}`. */
  rootName: string;
  /** Epoch ms of the earliest span start. */
  start: number;
  /** From the earliest start to the latest end, ms. */
  durationMs: number;
  /** Spans of the trace seen. */
  spanCount: number;
  /** Sum of the spans' cost (spans charged by another span are not counted twice). */
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** ERROR when any span ended with an error status. */
  status: 'OK' | 'ERROR';
}

/** A trace with the spans still held, oldest start first. */
export interface TraceDetail extends TraceSummary {
  /** Spans seen but not held: past `maxSpansPerTrace`, or given up once the trace was no longer among the most recent. */
  droppedSpans: number;
  spans: TraceSpanJson[];
}

/** A trace's summary, kept up to date as its spans end (numbers and a name: cheap to hold). */
interface StoredTrace {
  /** Reassigned when the object is reused for a new trace. */
  traceId: string;
  /**
   * The ended spans themselves (read-only once ended), while the trace is among the most
   * recent: turned into JSON only when asked for, so adding a span copies nothing.
   */
  spans: ReadableSpan[];
  /** Whether the trace is still among the most recent ones, which hold their spans. */
  holdsSpans: boolean;
  droppedSpans: number;
  spanCount: number;
  rootName: string | undefined;
  earliestName: string;
  start: number;
  end: number;
  costNanos: number;
  costUsdFallback: number;
  inputTokens: number;
  outputTokens: number;
  error: boolean;
  /** Arrival number of the trace's latest span; orders the list newest first. */
  seq: number;
}

const NANOS_PER_USD = 1_000_000_000;

/**
 * What the spans of one trace started in this process share, from the span that began it
 * here: the trace's summary, once one of them ended. Finding a span's trace is then a
 * property read, with no map of trace ids to look up, fill and empty as traces come and go.
 */
interface TraceLink {
  trace: StoredTrace | undefined;
  /**
   * Whether it began with a span that has no parent at all (a trace id made just now), so that
   * no span of the trace can have ended here before it: its summary is new, not looked for.
   */
  fresh: boolean;
}

/**
 * The recent traces, bounded in memory: what `GET /v1/traces` serves. Add it to a
 * TracerProvider as a SpanProcessor, or feed it ended spans with `add`.
 */
export class TraceRing implements SpanProcessor {
  private readonly maxTraces: number;
  private readonly detailTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly maxSpans: number;
  /** The traces in the order they were first seen, as a circular buffer: `count` from `first` on. */
  private readonly order: (StoredTrace | undefined)[];
  private first = 0;
  private count = 0;
  /** The trace of the previous span: spans of one trace mostly end one after another. */
  private lastTrace: StoredTrace | undefined;
  private heldSpans = 0;
  private counter = 0;
  /** Where a span started through `start` keeps its TraceLink (a property of this ring's own). */
  private readonly linkKey = Symbol('tollgate.traceLink');

  constructor(options: TraceRingOptions = {}) {
    this.maxTraces = positiveInt(options, 'maxTraces', 200);
    this.detailTraces = positiveInt(options, 'detailTraces', 20);
    this.maxSpansPerTrace = positiveInt(options, 'maxSpansPerTrace', 500);
    this.maxSpans = positiveInt(options, 'maxSpans', 5_000);
    this.order = new Array<StoredTrace | undefined>(this.maxTraces);
  }

  /** Number of traces held. */
  get size(): number {
    return this.count;
  }

  /**
   * Links a starting span to its trace (the trace of its parent in this process, or a new one),
   * so that `add` finds the trace without searching. Optional: `add` finds spans it was not
   * told of by their trace id.
   */
  start(span: Span, parentContext: Context): void {
    const key = this.linkKey;
    const parent = traceApi.getSpan(parentContext) as unknown as Record<symbol, TraceLink | undefined> | undefined;
    let link = span.parentSpanContext === undefined ? undefined : parent?.[key];
    if (link !== undefined && (parent as unknown as Span).spanContext().traceId !== span.spanContext().traceId) link = undefined;
    (span as unknown as Record<symbol, TraceLink>)[key] = link ?? { trace: undefined, fresh: span.parentSpanContext === undefined };
  }

  /** Keep an ended span. */
  add(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const link = (span as unknown as Record<symbol, TraceLink | undefined>)[this.linkKey];
    let trace = link?.trace;
    if (trace === undefined || trace.traceId !== traceId) {
      // The summary an evicted trace left behind serves another trace by now: look again.
      trace = this.lastTrace;
      if (trace === undefined || trace.traceId !== traceId) {
        trace = link?.fresh === true && link.trace === undefined ? this.newTrace(traceId) : (this.find(traceId) ?? this.newTrace(traceId));
      }
      if (link !== undefined) link.trace = trace;
    }
    this.lastTrace = trace;
    trace.seq = ++this.counter;
    summarizeInto(trace, span);
    if (!trace.holdsSpans || trace.spans.length >= this.maxSpansPerTrace) {
      trace.droppedSpans += 1;
      return;
    }
    trace.spans.push(span);
    this.heldSpans += 1;
    if (this.heldSpans > this.maxSpans) this.releaseOldestSpans(trace);
  }

  /** Summaries, most recently updated first. `limit` defaults to every trace held. */
  list(limit?: number): TraceSummary[] {
    const all: StoredTrace[] = [];
    for (let i = 0; i < this.count; i++) all.push(this.at(i));
    all.sort((a, b) => b.seq - a.seq);
    const n = limit === undefined ? all.length : Math.max(0, Math.floor(limit));
    return all.slice(0, n).map(summaryOf);
  }

  /** One trace with the spans still held; undefined when it is not (or no longer) held. */
  get(traceId: string): TraceDetail | undefined {
    const trace = this.find(traceId);
    if (trace === undefined) return undefined;
    const spans = trace.spans.map(spanToJson).sort((a, b) => a.start - b.start);
    return { ...summaryOf(trace), droppedSpans: trace.droppedSpans, spans };
  }

  /** Forget every trace. */
  clear(): void {
    this.order.fill(undefined);
    this.first = 0;
    this.count = 0;
    this.lastTrace = undefined;
    this.heldSpans = 0;
  }

  onStart(span: Span, parentContext: Context): void {
    this.start(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.add(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private newTrace(traceId: string): StoredTrace {
    const capacity = this.order.length;
    let trace: StoredTrace;
    if (this.count === capacity) {
      // Full: the trace seen first goes, and its object (its spans array emptied as it lets its
      // spans go) serves the new trace: one allocation less per trace.
      trace = this.order[this.first] as StoredTrace;
      this.releaseSpans(trace);
      this.first = (this.first + 1) % capacity;
      this.count -= 1;
    } else {
      trace = { spans: [] } as unknown as StoredTrace;
    }
    resetTrace(trace, traceId);
    this.order[(this.first + this.count) % capacity] = trace;
    this.count += 1;
    // Only the most recent detailTraces traces hold spans: the one that just left that window lets its spans go.
    if (this.count > this.detailTraces) this.releaseSpans(this.at(this.count - 1 - this.detailTraces));
    return trace;
  }

  /** The trace held under `traceId` (a scan of at most maxTraces summaries: for queries and spans not linked at start). */
  private find(traceId: string): StoredTrace | undefined {
    for (let i = this.count - 1; i >= 0; i--) {
      const t = this.at(i);
      if (t.traceId === traceId) return t;
    }
    return undefined;
  }

  /** The trace `i` places after the oldest one. */
  private at(i: number): StoredTrace {
    return this.order[(this.first + i) % this.order.length] as StoredTrace;
  }

  /** Over maxSpans: the oldest traces still holding spans let them go (never `keep`, the one just added to). */
  private releaseOldestSpans(keep: StoredTrace): void {
    for (let i = Math.max(0, this.count - this.detailTraces); i < this.count && this.heldSpans > this.maxSpans; i++) {
      const t = this.at(i);
      if (t !== keep) this.releaseSpans(t);
    }
  }

  /** The trace keeps its summary and lets its spans go. */
  private releaseSpans(trace: StoredTrace): void {
    if (!trace.holdsSpans) return;
    this.heldSpans -= trace.spans.length;
    trace.droppedSpans += trace.spans.length;
    trace.spans.length = 0; // emptied in place: the array serves the trace this object is reused for
    trace.holdsSpans = false;
  }
}

/** Makes `trace` the empty summary of `traceId` (its spans array, already empty, is kept). */
function resetTrace(trace: StoredTrace, traceId: string): void {
  trace.traceId = traceId;
  trace.holdsSpans = true;
  trace.droppedSpans = 0;
  trace.spanCount = 0;
  trace.rootName = undefined;
  trace.earliestName = '';
  trace.start = Number.POSITIVE_INFINITY;
  trace.end = Number.NEGATIVE_INFINITY;
  trace.costNanos = 0;
  trace.costUsdFallback = 0;
  trace.inputTokens = 0;
  trace.outputTokens = 0;
  trace.error = false;
  trace.seq = 0;
}

function positiveInt(options: TraceRingOptions, name: keyof TraceRingOptions, fallback: number): number {
  const value = options[name] ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`tollgate: TraceRing option "${name}" is ${String(value)}; it must be a positive integer (default ${fallback})`);
  }
  return value;
}

function numberAttr(attributes: Attributes, key: string): number {
  const value = attributes[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The name a trace is listed under: the span's name, except that a tollgate.task() span (named
 * `invoke_agent task`, the id an attribute) is listed as `task {id}`, so the list tells tasks apart.
 */
function listName(span: ReadableSpan): string {
  const task = span.attributes[ATTR_TOLLGATE_TASK_ID];
  return span.attributes[ATTR_TOLLGATE_SPAN_KIND] === 'task' && typeof task === 'string' ? `task ${task}` : span.name;
}

/** Adds one ended span to its trace's summary. */
function summarizeInto(trace: StoredTrace, span: ReadableSpan): void {
  trace.spanCount += 1;
  const start = hrTimeToMilliseconds(span.startTime);
  const end = hrTimeToMilliseconds(span.endTime);
  if (span.parentSpanContext === undefined && trace.rootName === undefined) trace.rootName = listName(span);
  if (start < trace.start) {
    trace.start = start;
    trace.earliestName = listName(span);
  }
  if (end > trace.end) trace.end = end;
  if (span.status.code === SpanStatusCode.ERROR) trace.error = true;
  const attrs = span.attributes;
  if (attrs[ATTR_TOLLGATE_CHARGED_BY] !== undefined) return;
  const nanos = numberAttr(attrs, ATTR_TOLLGATE_COST_NANOS);
  if (nanos > 0) trace.costNanos += nanos;
  else trace.costUsdFallback += numberAttr(attrs, ATTR_GEN_AI_USAGE_COST);
  trace.inputTokens += numberAttr(attrs, ATTR_GEN_AI_USAGE_INPUT_TOKENS);
  trace.outputTokens += numberAttr(attrs, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS);
}

function summaryOf(trace: StoredTrace): TraceSummary {
  const seen = trace.spanCount > 0;
  return {
    traceId: trace.traceId,
    // Without a parentless span (the root is in another process, or has not ended yet), the earliest span stands in.
    rootName: trace.rootName ?? trace.earliestName,
    start: seen ? trace.start : 0,
    durationMs: seen ? trace.end - trace.start : 0,
    spanCount: trace.spanCount,
    costUsd: trace.costNanos / NANOS_PER_USD + trace.costUsdFallback,
    inputTokens: trace.inputTokens,
    outputTokens: trace.outputTokens,
    status: trace.error ? 'ERROR' : 'OK',
  };
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
  const json: TraceSpanJson = {
    spanId: span.spanContext().spanId,
    name: span.name,
    kind: SpanKind[span.kind] ?? String(span.kind),
    start: hrTimeToMilliseconds(span.startTime),
    end: hrTimeToMilliseconds(span.endTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    attributes: plainAttributes(span.attributes),
    status: { code: statusCodeName(span.status.code) },
    events: span.events.map((e) => ({ name: e.name, time: hrTimeToMilliseconds(e.time), attributes: plainAttributes(e.attributes ?? {}) })),
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined) json.parentSpanId = parent;
  if (span.status.message !== undefined && span.status.message !== '') json.status.message = span.status.message;
  return json;
}
