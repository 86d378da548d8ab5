import { context, INVALID_SPANID, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { newCallId } from '../core/callId.js';
import { attributionOf, mergeDimensions } from '../core/attribution.js';
import type { Attribution } from '../core/attribution.js';
import type { BudgetExceededError } from '../core/BudgetExceededError.js';
import { errorType } from '../core/errorType.js';
import { isRefusal } from '../core/isRefusal.js';
import { isPromise } from '../core/maybePromise.js';
import type { MaybePromise } from '../core/maybePromise.js';
import { safeJson } from '../core/safeJson.js';
import type { StreamTiming } from '../core/StreamTiming.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { UsageStatus } from '../core/UsageRecord.js';
import type { BudgetEngine } from '../budget/BudgetEngine.js';
import type { Admission, CallRequest, FinishedCall, SettledCall, UsageSource } from '../budget/CallTypes.js';
import { admissionAttributes, settledAttributes, usageAttributes } from '../budget/settledAttributes.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_TOLLGATE_DECISION,
  ATTR_TOLLGATE_PROVIDER_COST_USD,
  ATTR_TOLLGATE_STATUS,
  ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK,
} from '../semconv/attributes.js';
import { attributionAttributes, requestAttributes } from './requestAttributes.js';
import type { CallSpec } from './requestAttributes.js';

/** What the driver needs from a tollgate. */
export interface CallDriverDeps {
  engine: BudgetEngine;
  /** The tracer tollgate's spans are made with (its instrumentation scope is 'tollgate'). */
  tracer(): Tracer;
  /** Input tokens of a request body; may throw (the driver then reserves no input and reports it). */
  estimateInputTokens(model: string, input: unknown): number;
  captureContent: boolean;
  /** Waits for (or refuses at) the provider's requests/tokens-per-minute limit. */
  rateLimit?(provider: string, estimatedTokens: number): Promise<void>;
}

/** How a call ended, as the caller's code or the instrumentation saw it. */
export interface CallOutcome {
  usage?: TokenUsage;
  /** Default: 'reported' when `usage` is given. */
  usageSource?: UsageSource;
  responseModel?: string;
  responseId?: string;
  /** A cost the provider reported itself, USD. */
  providerCostUsd?: number;
  /** Extra response attributes for the span (finish reasons...). */
  attributes?: Attributes;
  /** Completion content for `gen_ai.output.messages` (only under content capture). */
  output?: unknown;
  /** Default 'ok'. */
  status?: UsageStatus;
}

/**
 * The one call driver, used by `tollgate.llm()` / `embedding()` and both instrumentations:
 * estimate the input → start the span → the engine admits (or refuses, recorded) → wait for
 * the rate limit → the caller sends, with the fallback model and the output limit the
 * reservation covers → each streamed chunk is judged against the reservation → the engine
 * prices and settles the outcome, and the span gets the cost. Enforcement does not depend on
 * a span processor being registered: the driver admits through the engine itself, and the
 * BudgetSpanProcessor leaves spans of the 'tollgate' scope uncharged.
 */
export class CallDriver {
  /**
   * Calls whose span is open. An entry goes when its call ends: entries kept until their spans
   * are collected made the garbage collector carry every ended call through young-generation
   * collections (benchmark 1a, bench/analysis.md).
   */
  private readonly calls = new WeakMap<Span, DrivenCall>();
  private readonly ended = (span: Span): void => {
    this.calls.delete(span);
  };

  constructor(private readonly deps: CallDriverDeps) {}

  /** Starts a call. Never throws: a refusal rejects `ready`. */
  begin(spec: CallSpec, parent: Context = context.active()): DrivenCall {
    const call = new DrivenCall(this.deps, spec, parent, this.ended);
    if (!call.isEnded) this.calls.set(call.span, call);
    return call;
  }

  /** Where the instrumentations report what keeps them from enforcing (a client without the hooks they need). */
  get problems(): BudgetEngine['problems'] {
    return this.deps.engine.problems;
  }

  /** The call whose span this is, while the driver's call is open (undefined once it ended). */
  callOf(span: Span): DrivenCall | undefined {
    return this.calls.get(span);
  }
}

/** One call in flight. */
export class DrivenCall {
  readonly span: Span;
  /** The context to run the request in (the call's span active). */
  readonly context: Context;
  /** The admission when the call may be sent: the value itself when decided at once (synchronous store, no rate limit), else a promise; a refusal rejects it. */
  readonly ready: MaybePromise<Admission | undefined>;
  readonly estimatedInputTokens: number;
  private admission: Admission | undefined;
  private readonly request: CallRequest;
  private readonly startedAt = performance.now();
  /** performance.now() of the latest chunk (undefined before the first). */
  private lastChunkAt: number | undefined;
  private stream: StreamTiming | undefined;
  private clientMetricsElsewhere = false;
  private ended = false;

  constructor(
    private readonly deps: CallDriverDeps,
    private readonly spec: CallSpec,
    parent: Context,
    private readonly onEnded: (span: Span) => void = () => undefined,
  ) {
    const engine = deps.engine;
    this.estimatedInputTokens = spec.inputTokens ?? this.estimate();
    const inContext = attributionOf(parent);
    const attribution = spec.dimensions === undefined ? inContext : mergeDimensions(inContext, spec.dimensions);
    // Built by assignment, not by spreading objects into each other: this runs on every call (bench/analysis.md).
    const attributes = requestAttributes(spec, this.estimatedInputTokens);
    if (spec.attributes !== undefined) for (const key of Object.keys(spec.attributes)) if (!(key in attributes)) attributes[key] = spec.attributes[key];
    Object.assign(attributes, attributionAttributes(attribution));
    if (deps.captureContent && spec.input !== undefined) attributes[ATTR_GEN_AI_INPUT_MESSAGES] = safeJson(spec.input);
    this.span = deps.tracer().startSpan(spec.name ?? `${spec.operation} ${spec.model}`, { kind: SpanKind.CLIENT, attributes }, parent);
    this.context = trace.setSpan(parent, this.span);
    const sc = this.span.spanContext();
    // The no-op tracer's spans carry the invalid id (no SDK registered): the call still needs an id of its own.
    const valid = sc.spanId !== INVALID_SPANID;
    const request: CallRequest = {
      id: valid ? sc.spanId : newCallId(),
      provider: spec.provider,
      model: spec.model,
      operation: spec.operation,
      inputTokens: this.estimatedInputTokens,
    };
    if (spec.maxTokens !== undefined) request.maxOutputTokens = spec.maxTokens;
    if (valid) {
      request.traceId = sc.traceId;
      request.spanId = sc.spanId;
    }
    copyContext(attribution, request);
    this.request = request;
    let ready: MaybePromise<Admission | undefined>;
    try {
      ready = this.admit(engine);
    } catch (err: unknown) {
      ready = Promise.reject(err as Error); // a refusal: `ready` rejects with it
    }
    if (isPromise(ready)) ready.catch(() => undefined);
    this.ready = ready;
  }

  /** The model to send: the requested one, or the fallback a budget chose. */
  get model(): string {
    return this.admission?.model ?? this.spec.model;
  }

  /** The output limit to put on the request when the caller set none and a cap applies (undefined: leave the request as it is). */
  get outputLimit(): number | undefined {
    return this.admission?.outputLimit;
  }

  /** The call's admission, once decided. */
  get decided(): Admission | undefined {
    return this.admission;
  }

  /** True once the call's span has ended (settled, or refused). */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Judges a running stream: `usage` so far. Returns the error to cut it with when its cost passed
   * what the reservation covers (the provider ignored the output limit); undefined to go on.
   */
  check(usage: TokenUsage): BudgetExceededError | undefined {
    const now = performance.now();
    if (this.stream === undefined) {
      const firstChunkSeconds = (now - this.startedAt) / 1000;
      this.stream = { firstChunkSeconds, chunkGapsSeconds: [] };
      // The semconv name, and the old one for one more release.
      this.set({ [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: firstChunkSeconds, [ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK]: firstChunkSeconds });
    } else if (this.lastChunkAt !== undefined && this.stream.chunkGapsSeconds.length < MAX_CHUNK_GAPS) {
      this.stream.chunkGapsSeconds.push((now - this.lastChunkAt) / 1000);
    }
    this.lastChunkAt = now;
    return this.admission === undefined ? undefined : this.deps.engine.overrun(this.admission, usage);
  }

  /** The call completed (status 'ok', or 'cost_exceeded' for a stream that was cut): price, settle, end the span. */
  succeed(outcome: CallOutcome): SettledCall | undefined {
    return this.end(outcome, undefined);
  }

  /** The call failed: record the error, settle what the provider reported (or nothing), end the span. */
  fail(err: unknown, outcome: CallOutcome = {}): SettledCall | undefined {
    return this.end({ ...outcome, status: 'error' }, err);
  }

  /** Another instrumentation's span describes this same call and records its `gen_ai.client.*` metrics: tollgate records only its cost. */
  markClientMetricsElsewhere(): void {
    this.clientMetricsElsewhere = true;
  }

  /** Sets attributes on the span while it is open. */
  set(attributes: Attributes): void {
    if (!this.ended) this.span.setAttributes(attributes);
  }

  private estimate(): number {
    if (this.spec.input === undefined) return 0;
    try {
      return this.deps.estimateInputTokens(this.spec.model, this.spec.input);
    } catch (err: unknown) {
      this.deps.engine.problems.report('internal', 'the input token estimate failed; the call reserves no input (shortfall learning corrects later calls)', err);
      return 0;
    }
  }

  private admit(engine: BudgetEngine): MaybePromise<Admission | undefined> {
    let decided: MaybePromise<Admission>;
    try {
      decided = engine.admit(this.request);
    } catch (err: unknown) {
      return this.refusedOrOpen(err);
    }
    const limited = (admission: Admission): MaybePromise<Admission> => {
      this.admission = admission;
      this.set(admissionAttributes(admission));
      if (admission.outputLimit !== undefined) this.set({ [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: admission.outputLimit });
      if (this.deps.rateLimit === undefined) return admission;
      const tokens = admission.inputTokens + admission.outputTokens;
      return this.deps.rateLimit(this.spec.provider, tokens).then(
        () => admission,
        (err: unknown) => {
          this.fail(err);
          throw err;
        },
      );
    };
    if (isPromise(decided)) return decided.then(limited, (err: unknown) => this.refusedOrOpen(err));
    return limited(decided);
  }

  /** A refusal ends the span (the engine recorded the call as denied) and is rethrown; any other error is a bug: the call goes on, loudly. */
  private refusedOrOpen(err: unknown): undefined {
    if (isRefusal(err)) {
      if (!this.ended) {
        this.ended = true;
        this.onEnded(this.span);
        this.span.setAttributes({ [ATTR_TOLLGATE_DECISION]: 'deny', [ATTR_TOLLGATE_STATUS]: 'denied', [ATTR_ERROR_TYPE]: err.name });
        this.span.recordException(err);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        this.span.end();
      }
      throw err;
    }
    this.deps.engine.problems.report('internal', 'admitting a call failed inside tollgate; the call went on without a budget check', err);
    return undefined;
  }

  private end(outcome: CallOutcome, err: unknown): SettledCall | undefined {
    if (this.ended) return undefined;
    const status = outcome.status ?? 'ok';
    // The span gets its end attributes group by group, later groups winning as a merge would: no
    // merged copy is built (this runs on every call, and each copy grew an object key by key).
    const usageAttrs = outcome.usage === undefined ? undefined : usageAttributes(outcome.usage);
    const attrs: Attributes = {};
    if (outcome.responseModel !== undefined) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = outcome.responseModel;
    if (outcome.responseId !== undefined) attrs[ATTR_GEN_AI_RESPONSE_ID] = outcome.responseId;
    if (outcome.providerCostUsd !== undefined) attrs[ATTR_TOLLGATE_PROVIDER_COST_USD] = outcome.providerCostUsd;
    if (this.deps.captureContent && outcome.output !== undefined) attrs[ATTR_GEN_AI_OUTPUT_MESSAGES] = safeJson(outcome.output);
    let settled: SettledCall | undefined;
    let settledAttrs: Attributes | undefined;
    try {
      const req = this.request;
      const call: FinishedCall = {
        id: req.id,
        provider: req.provider,
        model: req.model,
        operation: req.operation,
        usageSource: outcome.usage === undefined ? 'none' : (outcome.usageSource ?? 'reported'),
        status,
        durationSeconds: (performance.now() - this.startedAt) / 1000,
      };
      if (req.traceId !== undefined) call.traceId = req.traceId;
      if (req.spanId !== undefined) call.spanId = req.spanId;
      copyContext(req, call);
      if (outcome.usage !== undefined) call.usage = outcome.usage;
      if (outcome.responseModel !== undefined) call.responseModel = outcome.responseModel;
      if (outcome.responseId !== undefined) call.responseId = outcome.responseId;
      if (outcome.providerCostUsd !== undefined) call.providerCostUsd = outcome.providerCostUsd;
      if (this.stream !== undefined) call.stream = this.stream;
      if (this.clientMetricsElsewhere) call.clientMetricsElsewhere = true;
      if (err !== undefined) call.errorType = errorType(err);
      settled = this.deps.engine.finish(this.admission, call);
      settledAttrs = settledAttributes(settled);
    } catch (caught: unknown) {
      this.deps.engine.problems.report('internal', 'pricing or settling a call failed inside tollgate', caught);
    }
    this.ended = true;
    this.onEnded(this.span);
    try {
      const span = this.span;
      if (outcome.attributes !== undefined) span.setAttributes(outcome.attributes);
      if (usageAttrs !== undefined) span.setAttributes(usageAttrs);
      span.setAttributes(attrs);
      if (settledAttrs !== undefined) span.setAttributes(settledAttrs);
      span.setAttribute(ATTR_TOLLGATE_STATUS, status);
      if (err !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType(err));
        if (err instanceof Error) span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      }
      span.end();
    } catch (caught: unknown) {
      this.deps.engine.problems.report('telemetry', 'ending a call span failed', caught);
    }
    return settled;
  }
}

/** Chunk gaps kept per call for `time_per_output_chunk` (a longer stream records its first ones). */
const MAX_CHUNK_GAPS = 10_000;

/** Copies the ids and dimensions that are set. */
function copyContext(from: Readonly<Attribution>, to: Attribution): void {
  if (from.task !== undefined) to.task = from.task;
  if (from.session !== undefined) to.session = from.session;
  if (from.agent !== undefined) to.agent = from.agent;
  if (from.user !== undefined) to.user = from.user;
  if (from.team !== undefined) to.team = from.team;
  if (from.apiKeyHash !== undefined) to.apiKeyHash = from.apiKeyHash;
  if (from.tags !== undefined) to.tags = from.tags;
  if (from.meta !== undefined) to.meta = from.meta;
}
