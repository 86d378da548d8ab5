import { diag, SpanStatusCode, trace, type Context, type Span as ApiSpan } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Admission, AdmissionRequest, BudgetEngine } from '../budget/BudgetEngine.js';
import { BudgetExceededError } from '../core/BudgetExceededError.js';
import { isPromise } from '../core/maybePromise.js';
import type { EventBus } from '../events/EventBus.js';
import type { MaybePromise } from '../core/maybePromise.js';
import type { Nanos } from '../core/money.js';
import type { UsageRecord, UsageStatus } from '../core/UsageRecord.js';
import { nanosToUsd, usdToNanos } from '../core/money.js';
import type { CostBreakdown } from '../pricing/types.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_COST_AMOUNT,
  ATTR_GEN_AI_USAGE_COST_CURRENCY,
  ATTR_GEN_AI_USAGE_COST_SOURCE,
  ATTR_TOLLGATE_AGENT_ID,
  ATTR_TOLLGATE_CHARGED_BY,
  ATTR_TOLLGATE_CONTRACT_NAME,
  ATTR_TOLLGATE_CONTRACT_RESULT,
  ATTR_TOLLGATE_COST_CACHE_READ_USD,
  ATTR_TOLLGATE_COST_CACHE_WRITE_USD,
  ATTR_TOLLGATE_COST_INPUT_USD,
  ATTR_TOLLGATE_COST_NANOS,
  ATTR_TOLLGATE_COST_OUTPUT_USD,
  ATTR_TOLLGATE_COST_REASONING_USD,
  ATTR_TOLLGATE_DECISION,
  ATTR_TOLLGATE_FALLBACK_MODEL,
  ATTR_TOLLGATE_MEMORY_OPERATION,
  ATTR_TOLLGATE_PRICE_SOURCE,
  ATTR_TOLLGATE_REQUESTED_MODEL,
  ATTR_TOLLGATE_RESERVED_USD,
  ATTR_TOLLGATE_SESSION_ID,
  ATTR_TOLLGATE_STATUS,
  ATTR_TOLLGATE_TASK_ID,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} from '../semconv/attributes.js';
import {
  CONTRACT_OPERATION,
  MEMORY_OPERATION,
  METADATA_CONTRACT,
  METADATA_CONTRACT_RESULT,
  METADATA_DECISION,
  METADATA_ERROR_TYPE,
  METADATA_MEMORY_OPERATION,
  METADATA_REQUESTED_MODEL,
  METADATA_TOOL,
} from '../metrics/UsageKinds.js';
import type { AdmissionInfo } from '../track/TollgateHandle.js';
import { attributionOf, type Attribution } from '../core/attribution.js';
import {
  isBillable,
  readProviderCostUsd,
  readRequestAttributes,
  readUsageAttributes,
  stringAttr,
  type RequestAttributes,
} from './readCallAttributes.js';
import { pricingProvider } from '../pricing/providerNames.js';

/** The pricing the processor needs (PricingCatalog implements it). */
export interface SpanPricer {
  /** Throws UnknownModelError under the 'deny' policy. */
  cost(usage: TokenUsage, model: string, provider?: string): CostBreakdown;
  /** `cost({ input, output }, model, provider).totalNanos` (the worst-case estimate before a call). */
  totalNanos(inputTokens: number, outputTokens: number, model: string, provider?: string): number;
}

/** Where ended spans go (TraceRing implements it). */
export interface TraceSink {
  /** Called as a span starts (TraceRing links it to its trace). */
  start?(span: Span, parentContext: Context): void;
  add(span: ReadableSpan): void;
}

/** The metric sinks the processor feeds (TollgateMetrics and GenAiMeters implement them). */
export interface UsageMetricsSink {
  recordUsage(record: UsageRecord, durationSeconds?: number): void;
  recordError(component: string): void;
}
export interface UsageMeterSink {
  record(record: UsageRecord, durationSeconds?: number): void;
}

export interface BudgetSpanProcessorOptions {
  engine: BudgetEngine;
  pricing: SpanPricer;
  events: EventBus;
  /** Worst-case output tokens when a span carries no max tokens. Default 4096. */
  defaultMaxOutputTokens?: number;
  /** Prometheus metrics. */
  metrics?: UsageMetricsSink;
  /** OTel metrics. */
  meters?: UsageMeterSink;
  /** Epoch ms. Default Date.now. */
  clock?: () => number;
  /**
   * Instrumentation scope names whose spans belong to tollgate's own wrappers: for these a
   * deny throws BudgetExceededError out of `startSpan`. Spans of other instrumentations are
   * never thrown at (they would swallow it and send the request anyway); they are stopped
   * by the fetch guard instead. Default ['tollgate'].
   */
  ownScopes?: string[];
  /** Called for every usage record after it was settled (or failed to settle). */
  onSettled?: (record: UsageRecord) => void;
  /** Receives every ended span (the recent-traces ring behind /v1/traces), and every starting one when it has `start`. */
  traceSink?: TraceSink;
}

/**
 * What the processor knows of one open span it tracks. For a billable call it is also the
 * admission request the budget engine decides (one object per call, no closures).
 */
class SpanState implements AdmissionRequest {
  /** The call id: the span id (reservation id and usage record id). */
  readonly id: string;
  task: string | undefined;
  session: string | undefined;
  agent: string | undefined;
  // Request side, read at start (billable spans only).
  provider = '';
  model = '';
  operation: string | undefined;
  inputTokens = 0;
  outputTokens = 0;
  phase: 'none' | 'pending' | 'admitted' | 'denied' = 'none';
  admission: Admission | undefined;
  error: Error | undefined;
  promise: Promise<Admission> | undefined;
  coveredBy: string | undefined;
  /** The request attributes read at start, read again (into the same object) when the span ends. */
  request: RequestAttributes | undefined;

  constructor(
    readonly span: Span,
    readonly kind: 'billable' | 'covered' | 'activity',
    attribution: Attribution,
    private readonly pricer: SpanPricer | undefined,
  ) {
    this.id = span.spanContext().spanId;
    this.task = attribution.task;
    this.session = attribution.session;
    this.agent = attribution.agent;
  }

  estimateNanos(model: string): Nanos {
    return (this.pricer as SpanPricer).totalNanos(this.inputTokens, this.outputTokens, model, pricingProvider(this.provider));
  }
}

/**
 * The one accounting path. For every GenAI model-call span:
 * - `onStart` estimates the worst-case cost from the span's attributes, reserves it in the
 *   ledger and applies the budget action (deny throws BudgetExceededError out of startSpan
 *   for tollgate's own spans; fallback is recorded for the wrapper to apply);
 * - `onEnding` prices the real usage, writes the cost attributes on the span, settles the
 *   reservation and feeds metrics and events.
 * Tool, memory and contract spans are recorded (cost 0) so that reports show them per task.
 * A span whose parent is a charged model call describes the same call and is not charged again.
 * Apart from BudgetExceededError (and UnknownModelError under the 'deny' policy), nothing
 * thrown here reaches the host: errors go to diag and the `tollgate_errors_total` counter.
 */
export class BudgetSpanProcessor implements SpanProcessor {
  private readonly engine: BudgetEngine;
  private readonly pricing: SpanPricer;
  private readonly events: EventBus;
  private readonly defaultMaxOutputTokens: number;
  private readonly metrics: UsageMetricsSink | undefined;
  private readonly meters: UsageMeterSink | undefined;
  private readonly clock: () => number;
  private readonly ownScopes: Set<string>;
  private readonly onSettled: ((record: UsageRecord) => void) | undefined;
  private readonly traceSink: TraceSink | undefined;
  /**
   * Where this processor keeps its state on a span it tracks: a property keyed by a symbol of
   * this instance, so that finding it is a property read, with no map of span ids to update
   * (a map churning one entry in and out per call allocates and rehashes all the time). The
   * property is cleared when the span ends.
   */
  private readonly stateKey = Symbol('tollgate.state');
  /** How many spans hold a state of this processor (started, not yet ended). */
  private openCount = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private isShutdown = false;
  private warnedUnregistered = false;

  constructor(options: BudgetSpanProcessorOptions) {
    this.engine = options.engine;
    this.pricing = options.pricing;
    this.events = options.events;
    this.defaultMaxOutputTokens = options.defaultMaxOutputTokens ?? 4096;
    this.metrics = options.metrics;
    this.meters = options.meters;
    this.clock = options.clock ?? Date.now;
    this.ownScopes = new Set(options.ownScopes ?? ['tollgate']);
    this.onSettled = options.onSettled;
    this.traceSink = options.traceSink;
  }

  onStart(span: Span, parentContext: Context): void {
    if (this.isShutdown) return;
    let state: SpanState | undefined;
    try {
      this.traceSink?.start?.(span, parentContext);
      state = this.track(span, parentContext);
    } catch (err: unknown) {
      this.fail('processor.onStart', err);
      return;
    }
    if (state?.kind !== 'billable') return;
    // Admission errors are the deliberate exception: they may leave startSpan.
    this.admit(state);
  }

  onEnding(span: Span): void {
    const state = this.stateOf(span);
    if (state === undefined) return;
    this.untrack(state);
    try {
      this.finish(state);
    } catch (err: unknown) {
      this.fail('processor.onEnding', err);
    }
  }

  onEnd(span: ReadableSpan): void {
    // Accounting happens in onEnding, while the span can still take attributes.
    if (this.traceSink === undefined) return;
    try {
      this.traceSink.add(span);
    } catch (err: unknown) {
      this.fail('traces', err);
    }
  }

  /** Waits for every settlement that was started (asynchronous stores). */
  async forceFlush(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled([...this.pending]);
    }
  }

  /** Idempotent. Settles what is in flight; later spans are ignored. */
  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.forceFlush();
  }

  /**
   * The admission of a span this processor has seen: resolves at once for synchronous stores,
   * rejects with BudgetExceededError when the call was denied. Undefined when the span is not a
   * billable call, is charged by an enclosing span, or never reached this processor.
   */
  admission(span: ApiSpan): Promise<AdmissionInfo | undefined> {
    try {
      return Promise.resolve(this.admissionNow(span));
    } catch (err: unknown) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * The admission of `span` as `admission()` decides it, without a promise when it is already
   * decided: returns the info (undefined when not admitted), throws the BudgetExceededError of
   * a denied call, and returns a promise only while an asynchronous store is still deciding.
   */
  admissionNow(span: ApiSpan): AdmissionInfo | undefined | Promise<AdmissionInfo | undefined> {
    const state = this.stateOf(span);
    if (state === undefined) {
      if (!this.warnedUnregistered && !this.isShutdown) {
        this.warnedUnregistered = true;
        diag.warn(
          span.isRecording()
            ? 'tollgate: a GenAI span was started that the BudgetSpanProcessor never saw, so it is not budgeted. ' +
                'Add tollgate.spanProcessor to your tracer provider (NodeSDK({ spanProcessors: [...] })) or call tollgate.start().'
            : 'tollgate: a GenAI span was dropped by the sampler, so it is not budgeted. ' +
                'Wrap your sampler: sampler: tollgateSampler(yourSampler), or make sure a tracer provider is registered.',
        );
      }
      return undefined;
    }
    switch (state.phase) {
      case 'none':
        return undefined;
      case 'admitted':
        // The admission itself is the info (AdmissionInfo is a view of it): nothing to build per call.
        return state.admission;
      case 'denied':
        throw state.error as Error;
      case 'pending':
        return (state.promise as Promise<Admission>).then(toInfo);
    }
  }

  /**
   * For the fetch guard: what to do with a request sent while `span` is active.
   * `deny` holds the error when the span's call was refused; `model` the fallback model.
   */
  guardDecision(span: ApiSpan): MaybePromise<{ deny?: Error; model?: string; requestedModel?: string } | undefined> {
    const state = this.stateOf(span);
    if (state === undefined) return undefined;
    const decide = (a: Admission) => (a.decision === 'fallback' ? { model: a.model, requestedModel: a.requestedModel } : {});
    switch (state.phase) {
      case 'none':
        return undefined;
      case 'admitted':
        return decide(state.admission as Admission);
      case 'denied':
        return { deny: state.error as Error };
      case 'pending':
        return (state.promise as Promise<Admission>).then(decide, (err: unknown) => ({ deny: err instanceof Error ? err : new Error(String(err)) }));
    }
  }

  /** How many spans are open and tracked (for tests and benchmarks: must return to 0). */
  get openSpanCount(): number {
    return this.openCount;
  }

  // --- internals -------------------------------------------------------------------

  private track(span: Span, parentContext: Context): SpanState | undefined {
    const attrs = span.attributes;
    const attribution = attributionOf(parentContext);
    this.tagAttribution(span, attribution);
    const billable = isBillable(attrs);
    if (!billable && !isActivity(attrs)) return undefined;
    if (billable) {
      const parent = this.parentState(span, parentContext);
      if (parent !== undefined && (parent.kind === 'billable' || parent.kind === 'covered')) {
        // Same call described twice (our wrapper around a client another instrumentation also patches).
        const chargedBy = parent.kind === 'billable' ? parent.id : (parent.coveredBy as string);
        span.setAttribute(ATTR_TOLLGATE_CHARGED_BY, chargedBy);
        const state = new SpanState(span, 'covered', attribution, undefined);
        state.coveredBy = chargedBy;
        return this.keep(state);
      }
      return this.keep(new SpanState(span, 'billable', attribution, this.pricing));
    }
    return this.keep(new SpanState(span, 'activity', attribution, undefined));
  }

  /** This processor's state on `span`, while it is open. */
  private stateOf(span: ApiSpan): SpanState | undefined {
    return (span as unknown as Record<symbol, SpanState | undefined>)[this.stateKey];
  }

  private keep(state: SpanState): SpanState {
    (state.span as unknown as Record<symbol, SpanState | undefined>)[this.stateKey] = state;
    this.openCount += 1;
    return state;
  }

  private untrack(state: SpanState): void {
    (state.span as unknown as Record<symbol, SpanState | undefined>)[this.stateKey] = undefined;
    this.openCount -= 1;
  }

  /** The state of the span's parent, when the parent is an open span of this process that this processor tracks. */
  private parentState(span: Span, parentContext: Context): SpanState | undefined {
    const parentId = span.parentSpanContext?.spanId;
    if (parentId === undefined) return undefined;
    const parent = trace.getSpan(parentContext);
    // startSpan({ root: true }) ignores the context's span: only the span's own parent counts.
    if (parent === undefined || parent.spanContext().spanId !== parentId) return undefined;
    return this.stateOf(parent);
  }

  /** Puts the task / session / agent ids on the span (every span, so traces can be filtered by them). */
  private tagAttribution(span: Span, attribution: Attribution): void {
    if (attribution.task !== undefined) span.setAttribute(ATTR_TOLLGATE_TASK_ID, attribution.task);
    if (attribution.session !== undefined) {
      span.setAttribute(ATTR_TOLLGATE_SESSION_ID, attribution.session);
      if (span.attributes[ATTR_GEN_AI_CONVERSATION_ID] === undefined) span.setAttribute(ATTR_GEN_AI_CONVERSATION_ID, attribution.session);
    }
    if (attribution.agent !== undefined) span.setAttribute(ATTR_TOLLGATE_AGENT_ID, attribution.agent);
  }

  private admit(state: SpanState): void {
    const span = state.span;
    const call = readRequestAttributes(span.attributes);
    state.request = call;
    state.provider = call.provider;
    state.model = call.requestModel ?? 'unknown';
    state.operation = call.operation;
    state.inputTokens = call.estimatedInputTokens ?? 0;
    state.outputTokens = call.operation === GEN_AI_OPERATION_EMBEDDINGS ? 0 : (call.maxTokens ?? this.defaultMaxOutputTokens);

    let result: MaybePromise<Admission>;
    try {
      result = this.engine.admit(state);
    } catch (err: unknown) {
      this.deny(state, call, err);
      return;
    }
    if (isPromise(result)) {
      const promise = result.then(
        (admission) => {
          state.phase = 'admitted';
          state.admission = admission;
          this.markAdmitted(span, admission);
          return admission;
        },
        (err: unknown) => {
          this.deny(state, call, err, /* async */ true);
          throw err;
        },
      );
      // The rejection is observed by whoever awaits admission(); never leave it unhandled.
      promise.catch(() => undefined);
      state.phase = 'pending';
      state.promise = promise;
      return;
    }
    state.phase = 'admitted';
    state.admission = result;
    this.markAdmitted(span, result);
  }

  private markAdmitted(span: Span, admission: Admission): void {
    if (span.ended) return;
    span.setAttribute(ATTR_TOLLGATE_DECISION, admission.decision);
    span.setAttribute(ATTR_TOLLGATE_RESERVED_USD, nanosToUsd(admission.reservedNanos));
    if (admission.decision === 'fallback') {
      span.setAttribute(ATTR_TOLLGATE_REQUESTED_MODEL, admission.requestedModel);
      span.setAttribute(ATTR_TOLLGATE_FALLBACK_MODEL, admission.model);
    }
  }

  /**
   * A call was refused. Tollgate's own spans are ended at once (the deny is visible in the
   * trace) and the error is thrown out of startSpan; other instrumentations' spans stay open
   * (throwing would make them send the request without a span) and the fetch guard refuses
   * the request. Errors that are not budget decisions fail open.
   */
  private deny(state: SpanState, call: RequestAttributes, err: unknown, async = false): void {
    const span = state.span;
    const isDecision = err instanceof BudgetExceededError || (err instanceof Error && err.name === 'UnknownModelError');
    if (!isDecision && !(err instanceof Error && err.name === 'LedgerUnavailableError')) {
      // Store failures are the engine's business (failMode); anything else here is our bug: fail open.
      this.fail('processor.admit', err);
      return;
    }
    const error = err as Error;
    state.phase = 'denied';
    state.error = error;
    const record = this.record(state, call, undefined, undefined, undefined, 0, 'denied');
    this.settle(undefined, record, undefined);
    if (!span.ended) {
      span.setAttribute(ATTR_TOLLGATE_DECISION, 'deny');
      span.setAttribute(ATTR_TOLLGATE_STATUS, 'denied');
      span.setAttribute(ATTR_ERROR_TYPE, error.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    const own = this.ownScopes.has(span.instrumentationScope.name);
    if (own && !async) {
      this.untrack(state);
      span.end();
      throw error;
    }
  }

  private finish(state: SpanState): void {
    const span = state.span;
    if (state.kind === 'covered') return;
    const durationSeconds = hrTimeToMilliseconds(span.duration) / 1000;
    if (state.kind === 'activity') {
      this.settle(undefined, this.activityRecord(state), durationSeconds);
      return;
    }
    if (state.phase === 'denied') return; // recorded when it was denied
    const attrs = span.attributes;
    const call = readRequestAttributes(attrs, state.request);
    const responseModel = stringAttr(attrs[ATTR_GEN_AI_RESPONSE_MODEL]);
    const errored = span.status.code === SpanStatusCode.ERROR;
    const statusAttr = attrs[ATTR_TOLLGATE_STATUS];
    const status: UsageStatus = statusAttr === 'cost_exceeded' ? 'cost_exceeded' : errored ? 'error' : 'ok';
    const admission = state.phase === 'admitted' ? state.admission : undefined;
    const model = responseModel ?? admission?.model ?? call.requestModel ?? 'unknown';

    let costNanos = 0;
    const providerCostUsd = readProviderCostUsd(attrs);
    const usage = readUsageAttributes(attrs);
    if (providerCostUsd !== undefined) {
      costNanos = usdToNanos(providerCostUsd);
      this.setCostAttributes(span, costNanos, 'provider', undefined);
    } else if (usage !== undefined) {
      const priced = this.price(usage, model, call.provider);
      if (priced !== undefined) {
        costNanos = priced.totalNanos;
        this.setCostAttributes(span, costNanos, priced.model.source, priced);
      }
    } else {
      this.setCostAttributes(span, 0, 'none', undefined);
    }
    if (statusAttr === undefined) span.setAttribute(ATTR_TOLLGATE_STATUS, status);
    const record = this.record(state, call, usage, stringAttr(attrs[ATTR_GEN_AI_RESPONSE_ID]), model, costNanos, status);
    if (state.phase === 'pending') {
      // Asynchronous store, span ended before its admission came back: settle after it.
      const p = (state.promise as Promise<Admission>).then(
        (a) => this.settle(a, record, durationSeconds),
        () => undefined,
      );
      this.trackPending(p);
      return;
    }
    this.settle(admission, record, durationSeconds);
  }

  private price(usage: TokenUsage, model: string, provider: string): CostBreakdown | undefined {
    try {
      return this.pricing.cost(usage, model, pricingProvider(provider));
    } catch (err: unknown) {
      // An unknown model under the 'deny' policy was refused at start; one that only shows up
      // in the response (or a malformed count) is charged 0 and reported.
      this.fail('pricing', err);
      return undefined;
    }
  }

  private setCostAttributes(span: Span, nanos: Nanos, source: string, b: CostBreakdown | undefined): void {
    const usd = nanosToUsd(nanos);
    span.setAttribute(ATTR_GEN_AI_USAGE_COST, usd);
    span.setAttribute(ATTR_GEN_AI_USAGE_COST_AMOUNT, usd);
    span.setAttribute(ATTR_GEN_AI_USAGE_COST_CURRENCY, 'USD');
    span.setAttribute(ATTR_GEN_AI_USAGE_COST_SOURCE, source === 'provider' ? 'provider' : 'computed');
    span.setAttribute(ATTR_TOLLGATE_COST_NANOS, nanos);
    span.setAttribute(ATTR_TOLLGATE_PRICE_SOURCE, source);
    if (b !== undefined) {
      span.setAttribute(ATTR_TOLLGATE_COST_INPUT_USD, nanosToUsd(b.inputNanos));
      span.setAttribute(ATTR_TOLLGATE_COST_OUTPUT_USD, nanosToUsd(b.outputNanos));
      span.setAttribute(ATTR_TOLLGATE_COST_CACHE_READ_USD, nanosToUsd(b.cacheReadNanos));
      span.setAttribute(ATTR_TOLLGATE_COST_CACHE_WRITE_USD, nanosToUsd(b.cacheWriteNanos));
      if (b.reasoningNanos > 0) span.setAttribute(ATTR_TOLLGATE_COST_REASONING_USD, nanosToUsd(b.reasoningNanos));
    }
  }

  private record(
    state: SpanState,
    call: RequestAttributes,
    usage: TokenUsage | undefined,
    responseId: string | undefined,
    model: string | undefined,
    costNanos: Nanos,
    status: UsageStatus,
  ): UsageRecord {
    const ctx = state.span.spanContext();
    const counted = status === 'denied' ? undefined : usage;
    const record: UsageRecord = {
      id: ctx.spanId,
      time: this.clock(),
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      provider: call.provider,
      model: model ?? call.requestModel ?? 'unknown',
      operation: call.operation,
      inputTokens: counted?.input ?? 0,
      outputTokens: counted?.output ?? 0,
      cacheReadTokens: counted?.cacheRead ?? 0,
      cacheWriteTokens: counted?.cacheWrite ?? 0,
      reasoningTokens: counted?.reasoning ?? 0,
      costNanos,
      status,
    };
    if (responseId !== undefined) record.requestId = responseId;
    if (state.task !== undefined) record.task = state.task;
    if (state.session !== undefined) record.session = state.session;
    if (state.agent !== undefined) record.agent = state.agent;
    const requested = state.span.attributes[ATTR_TOLLGATE_REQUESTED_MODEL];
    const decision = state.phase === 'admitted' ? state.admission?.decision : undefined;
    const errorType = state.span.attributes[ATTR_ERROR_TYPE];
    // Most calls carry no metadata: build the object only when there is some.
    if (typeof requested === 'string' || decision === 'warn' || decision === 'fallback' || typeof errorType === 'string') {
      const metadata: Record<string, string> = {};
      if (typeof requested === 'string') metadata[METADATA_REQUESTED_MODEL] = requested;
      if (decision === 'warn' || decision === 'fallback') metadata[METADATA_DECISION] = decision;
      if (typeof errorType === 'string') metadata[METADATA_ERROR_TYPE] = errorType;
      record.metadata = metadata;
    }
    return record;
  }

  private activityRecord(state: SpanState): UsageRecord {
    const span = state.span;
    const attrs = span.attributes;
    const ctx = span.spanContext();
    const errored = span.status.code === SpanStatusCode.ERROR;
    let operation: string;
    const metadata: Record<string, string | number | boolean> = {};
    if (attrs[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_EXECUTE_TOOL) {
      operation = GEN_AI_OPERATION_EXECUTE_TOOL;
      metadata[METADATA_TOOL] = String(attrs[ATTR_GEN_AI_TOOL_NAME] ?? 'unknown');
    } else if (attrs[ATTR_TOLLGATE_MEMORY_OPERATION] !== undefined) {
      operation = MEMORY_OPERATION;
      metadata[METADATA_MEMORY_OPERATION] = String(attrs[ATTR_TOLLGATE_MEMORY_OPERATION]);
    } else {
      operation = CONTRACT_OPERATION;
      metadata[METADATA_CONTRACT] = String(attrs[ATTR_TOLLGATE_CONTRACT_NAME] ?? 'unknown');
      metadata[METADATA_CONTRACT_RESULT] = String(attrs[ATTR_TOLLGATE_CONTRACT_RESULT] ?? (errored ? 'fail' : 'pass'));
    }
    const errorType = attrs[ATTR_ERROR_TYPE];
    if (typeof errorType === 'string') metadata[METADATA_ERROR_TYPE] = errorType;
    const record: UsageRecord = {
      id: ctx.spanId,
      time: this.clock(),
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      provider: '',
      model: '',
      operation,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      costNanos: 0,
      status: errored ? 'error' : 'ok',
      metadata,
    };
    if (state.task !== undefined) record.task = state.task;
    if (state.session !== undefined) record.session = state.session;
    if (state.agent !== undefined) record.agent = state.agent;
    return record;
  }

  /** Settle in the ledger, then metrics and events. Never throws. */
  private settle(admission: Admission | undefined, record: UsageRecord, durationSeconds: number | undefined): void {
    let result: MaybePromise<void>;
    try {
      result = this.engine.settle(admission, record);
    } catch (err: unknown) {
      this.fail('ledger', err);
      this.afterSettle(record, durationSeconds);
      return;
    }
    if (isPromise(result)) {
      const p = result.then(
        () => this.afterSettle(record, durationSeconds),
        (err: unknown) => {
          this.fail('ledger', err);
          this.afterSettle(record, durationSeconds);
        },
      );
      this.trackPending(p);
      return;
    }
    this.afterSettle(record, durationSeconds);
  }

  /** Metrics, the usage event and onSettled for a settled (or failed-to-settle) record. Never throws. */
  private afterSettle(record: UsageRecord, durationSeconds: number | undefined): void {
    try {
      this.metrics?.recordUsage(record, durationSeconds);
      this.meters?.record(record, durationSeconds);
      if (this.events.listenerCount('usage') > 0) this.events.emit('usage', { record, costUsd: nanosToUsd(record.costNanos) });
      this.onSettled?.(record);
    } catch (err: unknown) {
      this.fail('metrics', err);
    }
  }

  private trackPending(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private fail(component: string, err: unknown): void {
    diag.error(`tollgate: ${component} failed`, err);
    try {
      this.metrics?.recordError(component);
    } catch {
      // The error counter itself failed: nothing more to do without risking the host.
    }
  }
}

function isActivity(attrs: ReadableSpan['attributes']): boolean {
  return (
    attrs[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_EXECUTE_TOOL ||
    attrs[ATTR_TOLLGATE_MEMORY_OPERATION] !== undefined ||
    attrs[ATTR_TOLLGATE_CONTRACT_NAME] !== undefined
  );
}

function toInfo(a: Admission): AdmissionInfo {
  const info: AdmissionInfo = { decision: a.decision, model: a.model, requestedModel: a.requestedModel, reservedNanos: a.reservedNanos };
  if (a.requestLimitNanos !== undefined) info.requestLimitNanos = a.requestLimitNanos;
  return info;
}
