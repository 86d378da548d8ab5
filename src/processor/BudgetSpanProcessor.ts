import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span as ApiSpan } from '@opentelemetry/api';
import type { SdkReadableSpan as ReadableSpan, SdkSpan as Span, SdkSpanProcessor as SpanProcessor } from '../core/SdkSpan.js';
import { attributionOf } from '../core/attribution.js';
import type { Attribution } from '../core/attribution.js';
import { isRefusal } from '../core/isRefusal.js';
import { isPromise } from '../core/maybePromise.js';
import type { MaybePromise } from '../core/maybePromise.js';
import type { BudgetEngine } from '../budget/BudgetEngine.js';
import type { Admission, CallRequest, FinishedCall } from '../budget/CallTypes.js';
import { admissionAttributes, settledAttributes } from '../budget/settledAttributes.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_TOLLGATE_CHARGED_BY,
  ATTR_TOLLGATE_DECISION,
  ATTR_TOLLGATE_ENFORCEMENT_BYPASSED,
  ATTR_TOLLGATE_STATUS,
} from '../semconv/attributes.js';
import { attributionAttributes } from '../track/requestAttributes.js';
import { activityOf, isActivity } from './activityCall.js';
import { reassertFetchGuard } from './FetchGuard.js';
import type { GuardSource, GuardVerdict } from './FetchGuard.js';
import { describeBody, finishedOf, requestOf } from './foreignCall.js';
import { isBillable, readRequestAttributes } from './readCallAttributes.js';

/** Where ended spans go (TraceRing implements it). */
export interface TraceSink {
  /** Called as a span starts (TraceRing links it to its trace). */
  start?(span: Span, parentContext: Context): void;
  add(span: ReadableSpan): void;
}

export interface BudgetSpanProcessorOptions {
  engine: BudgetEngine;
  /** Input tokens of a request body (for admissions made at the fetch guard). */
  estimateInputTokens(model: string, input: unknown): number;
  /**
   * Instrumentation scope names of tollgate's own spans: those are admitted and settled by the
   * call driver and wrappers, and this processor only links them (a model-call span under one
   * is the same call, not charged again). Default ['tollgate'].
   */
  ownScopes?: string[];
  /** Receives every ended span (the recent-traces ring behind /v1/traces), and every starting one when it has `start`. */
  traceSink?: TraceSink;
  /** Whether a span is a call tollgate's own driver started (its requests need no guard). Default: none is. */
  isDriven?: (span: ApiSpan) => boolean;
  /**
   * Instrumentation scopes that record the `gen_ai.client.*` metrics of their calls themselves:
   * for their calls tollgate records only `tollgate.cost`, so no call is counted twice.
   * Default GEN_AI_CLIENT_METRICS_SCOPES.
   */
  clientMetricsScopes?: string[];
  /** Told when a span of such a scope describes a call tollgate's own driver makes (`parent`): that call's client metrics are recorded there. */
  onClientMetricsElsewhere?: (parent: ApiSpan) => void;
  /** false: tollgate is switched off and the processor ignores every span (no admission, no record, no trace ring). Default true. */
  enabled?: boolean;
}

/** Instrumentations known to record `gen_ai.client.token.usage` and `gen_ai.client.operation.duration` for their spans. */
export const GEN_AI_CLIENT_METRICS_SCOPES: readonly string[] = ['@opentelemetry/instrumentation-openai'];

/** What the processor knows of one open span it tracks. */
interface SpanState {
  kind: 'own' | 'foreign' | 'covered' | 'activity';
  attribution: Readonly<Attribution>;
  /** Foreign calls: the request admitted at the fetch guard, its admission (or pending decision) and refusal. */
  request?: CallRequest;
  decided?: MaybePromise<Admission>;
  admission?: Admission;
  refusal?: Error;
  /** The body field the output limit goes in, for this call. */
  limitField?: string;
  /** Text of the streamed response the guard saw (for an output estimate when the span has no usage). */
  seenOutput?: string;
}

/** The state of every span of tollgate's own calls: nothing of its own to hold (the call driver has it), so one shared object. */
const OWN_CALL: SpanState = Object.freeze({ kind: 'own', attribution: Object.freeze({}) });

/**
 * Budgets for the spans of OTHER instrumentations (the contrib OpenAI instrumentation, the
 * Vercel AI SDK, OpenLLMetry...). For each span it classifies the call; the fetch guard asks it
 * to admit the request when it is sent (the body gives the input estimate, a refusal answers
 * 402, an admission may set the fallback model and the output limit); when the span ends it
 * builds the call's outcome with one pure function, has the engine price and settle it, and
 * puts the cost on the span. A call with no usage is charged from what the guard saw (marked
 * estimated); a call that was denied but sent anyway (something bypassed the guard) is charged
 * its real usage and flagged; a call the guard never saw is charged when it ends, loudly.
 * Spans of tollgate's own scope are enforced by the call driver and only linked here.
 */
export class BudgetSpanProcessor implements SpanProcessor, GuardSource {
  private readonly engine: BudgetEngine;
  private readonly estimate: (model: string, input: unknown) => number;
  private readonly ownScopes: Set<string>;
  private readonly traceSink: TraceSink | undefined;
  private readonly isDriven: (span: ApiSpan) => boolean;
  private readonly clientMetricsScopes: Set<string>;
  private readonly onClientMetricsElsewhere: ((parent: ApiSpan) => void) | undefined;
  private readonly states = new WeakMap<object, SpanState>();
  private openCount = 0;
  private isShutdown = false;
  private readonly disabled: boolean;

  constructor(options: BudgetSpanProcessorOptions) {
    this.disabled = options.enabled === false;
    this.engine = options.engine;
    this.estimate = options.estimateInputTokens;
    this.ownScopes = new Set(options.ownScopes ?? ['tollgate']);
    this.traceSink = options.traceSink;
    this.isDriven = options.isDriven ?? (() => false);
    this.clientMetricsScopes = new Set(options.clientMetricsScopes ?? GEN_AI_CLIENT_METRICS_SCOPES);
    this.onClientMetricsElsewhere = options.onClientMetricsElsewhere;
  }

  onStart(span: Span, parentContext: Context): void {
    if (this.isShutdown || this.disabled) return;
    try {
      this.traceSink?.start?.(span, parentContext);
      const state = this.classify(span, parentContext);
      if (state === undefined) return;
      this.states.set(span, state);
      this.openCount += 1;
      if (state.kind === 'foreign') reassertFetchGuard(this.engine.problems);
    } catch (err: unknown) {
      this.engine.problems.report('internal', 'the span processor failed to start tracking a span', err);
    }
  }

  onEnding(span: Span): void {
    const state = this.states.get(span);
    if (state === undefined) return;
    this.states.delete(span);
    this.openCount -= 1;
    try {
      if (state.kind === 'foreign') this.settleForeign(span, state);
      else if (state.kind === 'activity') this.engine.finish(undefined, activityOf(span, state.attribution));
    } catch (err: unknown) {
      this.engine.problems.report('internal', 'the span processor failed to settle a span', err);
    }
  }

  onEnd(span: ReadableSpan): void {
    if (this.traceSink === undefined || this.disabled) return;
    try {
      this.traceSink.add(span);
    } catch (err: unknown) {
      this.engine.problems.report('telemetry', 'the recent-traces ring failed', err);
    }
  }

  /** Waits for every settlement that was started. */
  forceFlush(): Promise<void> {
    return this.engine.forceFlush();
  }

  /** Idempotent. Settles what is in flight; later spans are ignored. */
  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.forceFlush();
  }

  /** How many spans are open and tracked (must return to 0). */
  get openSpanCount(): number {
    return this.openCount;
  }

  /** The admission of a foreign call span (undefined when not admitted yet or not one); rejects with its refusal. */
  async admission(span: ApiSpan): Promise<Admission | undefined> {
    const state = this.states.get(span);
    if (state?.refusal !== undefined) throw state.refusal;
    return state?.decided === undefined ? undefined : await state.decided;
  }

  /** Called by the fetch guard for a request sent while `span` is active. Never throws. */
  guard(span: ApiSpan, body: unknown, official = false): MaybePromise<GuardVerdict | undefined> {
    const state = this.states.get(span);
    if (state === undefined) {
      if (looksLikeModelCall(body) && !this.isDriven(span)) this.reportUnbudgeted(span);
      return undefined;
    }
    if (state.kind !== 'foreign') return undefined;
    if (state.refusal !== undefined) return { refuse: state.refusal };
    if (state.decided === undefined) {
      try {
        this.admitForeign(span as unknown as Span, state, body, official);
      } catch (err: unknown) {
        this.engine.problems.report('internal', "admitting another instrumentation's call failed inside tollgate; it was sent unchecked", err);
        return undefined;
      }
    }
    const verdict = (): GuardVerdict | undefined => this.verdict(span as unknown as Span, state);
    const decided = state.decided;
    if (isPromise(decided)) return decided.then(verdict, verdict);
    return verdict();
  }

  // --- internals -------------------------------------------------------------------

  /** A model call went out under a span no budget saw: say why, and the fix. */
  private reportUnbudgeted(span: ApiSpan): void {
    this.engine.problems.report(
      'unbudgeted_span',
      span.isRecording()
        ? 'a model call was sent that no tollgate budget saw (its span never reached tollgate.spanProcessor, or no GenAI instrumentation made one). ' +
            'Fix: wrap the client with instrumentOpenAI/instrumentAnthropic, or add tollgate.spanProcessor to your tracer provider'
        : 'a model call was sent under a span the sampler dropped, so no cap held it (unsampled spans never reach a span processor). ' +
            'Fix: wrap your sampler, sampler: tollgateSampler(yourSampler), or use instrumentOpenAI/instrumentAnthropic',
    );
  }

  private classify(span: Span, parentContext: Context): SpanState | undefined {
    const attrs = span.attributes;
    const own = this.ownScopes.has(span.instrumentationScope.name);
    const billable = isBillable(attrs);
    if (own) return billable ? OWN_CALL : undefined;
    if (!billable && !isActivity(attrs)) return undefined;
    const attribution = attributionOf(parentContext);
    span.setAttributes(attributionAttributes(attribution));
    if (!billable) return { kind: 'activity', attribution };
    const parent = trace.getSpan(parentContext);
    const parentState = parent !== undefined && parent.spanContext().spanId === span.parentSpanContext?.spanId ? this.states.get(parent) : undefined;
    if (parentState !== undefined && parentState.kind !== 'activity') {
      // The same call described twice (tollgate's own span around a client another instrumentation also patches).
      span.setAttribute(ATTR_TOLLGATE_CHARGED_BY, (parent as ApiSpan).spanContext().spanId);
      if (parentState.kind === 'own' && this.clientMetricsScopes.has(span.instrumentationScope.name)) this.onClientMetricsElsewhere?.(parent as ApiSpan);
      return { kind: 'covered', attribution };
    }
    return { kind: 'foreign', attribution };
  }

  private admitForeign(span: Span, state: SpanState, body: unknown, official: boolean): void {
    const attrs = readRequestAttributes(span.attributes);
    const described = body === undefined ? undefined : describeBody(body, attrs.operation, attrs.provider, official);
    let inputTokens = 0;
    if (described !== undefined) {
      try {
        inputTokens = this.estimate(described.model ?? attrs.requestModel ?? 'unknown', described.input);
      } catch (err: unknown) {
        this.engine.problems.report('internal', 'the input token estimate failed; the call reserves no input', err);
      }
    }
    const request = requestOf(span, state.attribution, described, inputTokens);
    state.request = request;
    const accept = (admission: Admission): Admission => {
      state.admission = admission;
      if (!span.ended) span.setAttributes(admissionAttributes(admission));
      return admission;
    };
    const refuse = (err: unknown): Error => {
      state.refusal = err instanceof Error ? err : new Error(String(err));
      if (!span.ended) {
        // error.type is the instrumentation's to set from the 402 it sees (a bypassed call never errs).
        span.setAttributes({ [ATTR_TOLLGATE_DECISION]: 'deny', [ATTR_TOLLGATE_STATUS]: 'denied' });
        span.setStatus({ code: SpanStatusCode.ERROR, message: state.refusal.message });
      }
      return state.refusal;
    };
    let decided: MaybePromise<Admission>;
    try {
      decided = this.engine.admit(request);
    } catch (err: unknown) {
      if (!isRefusal(err)) throw err; // a bug, not a decision: guard() reports it and lets the call go
      const refusal = refuse(err);
      const rejected = Promise.reject(refusal);
      rejected.catch(() => undefined);
      state.decided = rejected;
      return;
    }
    if (isPromise(decided)) {
      const pending = decided.then(accept, (err: unknown) => {
        throw refuse(err);
      });
      pending.catch(() => undefined);
      state.decided = pending;
    } else {
      state.decided = accept(decided);
    }
    if (described?.outputLimitField !== undefined) state.limitField = described.outputLimitField;
  }

  private verdict(span: Span, state: SpanState): GuardVerdict | undefined {
    if (state.refusal !== undefined) return { refuse: state.refusal };
    const admission = state.admission;
    const verdict: GuardVerdict = {
      observe: (text) => {
        state.seenOutput = (state.seenOutput ?? '') + text;
      },
      aborted: () => this.settleAborted(span, state),
    };
    if (admission === undefined) return verdict;
    const patch: Record<string, unknown> = {};
    if (admission.model !== admission.requestedModel) patch['model'] = admission.model;
    if (admission.outputLimit !== undefined && state.limitField !== undefined) patch[state.limitField] = admission.outputLimit;
    if (Object.keys(patch).length > 0) verdict.patch = patch;
    return verdict;
  }

  /**
   * The caller aborted the call (a Vercel AI SDK request's signal fired). ai 6 never ends a
   * `doStream` span it aborts, which would leave the reservation held and the tokens the
   * provider streamed unpaid: while the span is open, the call is settled now, as an
   * AbortError charged with the output the guard saw. A span that ends later is not charged again.
   */
  private settleAborted(span: Span, state: SpanState): void {
    if (this.states.get(span) !== state || span.ended) return;
    this.states.delete(span);
    this.openCount -= 1;
    try {
      span.setAttribute(ATTR_ERROR_TYPE, 'AbortError');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'aborted by the caller' });
      this.settleForeign(span, state);
    } catch (err: unknown) {
      this.engine.problems.report('internal', 'the span processor failed to settle an aborted call', err);
    }
  }

  private settleForeign(span: Span, state: SpanState): void {
    const request = state.request ?? requestOf(span, state.attribution, undefined, 0);
    const estimated = state.seenOutput !== undefined ? { input: request.inputTokens, output: this.countOutput(request.model, state.seenOutput) } : undefined;
    const call: FinishedCall = finishedOf(span, request, estimated);
    if (this.clientMetricsScopes.has(span.instrumentationScope.name)) call.clientMetricsElsewhere = true;
    let admission = state.admission;
    if (state.refusal !== undefined) {
      if (call.usageSource !== 'reported') return; // refused and not sent: the engine recorded it as denied
      // Denied, yet the provider answered: something bypassed the guard. Charge what it reported.
      call.bypassed = true;
      // The refusal is already recorded under the call's id: the charge gets an id of its own.
      call.id = `${call.id}-bypassed`;
      call.status = 'ok';
      delete call.errorType;
      // It did not fail: the provider answered. The refusal stays visible as tollgate.decision deny.
      span.setStatus({ code: SpanStatusCode.OK });
      span.setAttribute(ATTR_TOLLGATE_ENFORCEMENT_BYPASSED, true);
      this.engine.problems.report(
        'enforcement_bypassed',
        `a call to ${request.provider} that a budget denied reached the provider anyway (its fetch went around tollgate's guard: nock, msw or a client created before a fetch patch?); it was charged with its real usage`,
      );
      admission = undefined;
    } else if (state.decided === undefined) {
      this.engine.problems.report(
        'fetch_guard',
        `a call to ${request.provider} made by another instrumentation was never seen by tollgate's fetch guard (fetch replaced, or a transport other than fetch), so no cap could hold it; it was charged when it ended`,
      );
    }
    if (isPromise(state.decided) && admission === undefined && state.refusal === undefined) {
      // Ended before an asynchronous admission came back: settle after it.
      const decided = state.decided;
      void decided.then(
        (a) => this.finishForeign(span, a, call),
        () => undefined,
      );
      return;
    }
    this.finishForeign(span, admission, call);
  }

  private finishForeign(span: Span, admission: Admission | undefined, call: FinishedCall): void {
    const settled = this.engine.finish(admission, call);
    if (!span.ended) span.setAttributes({ ...settledAttributes(settled), [ATTR_TOLLGATE_STATUS]: call.status });
  }

  private countOutput(model: string, text: string): number {
    try {
      return this.estimate(model, text);
    } catch {
      return 0;
    }
  }
}

/** Whether a request body looks like a model call (a model and a prompt of some kind). */
function looksLikeModelCall(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  return typeof b['model'] === 'string' && (b['messages'] !== undefined || b['input'] !== undefined || b['prompt'] !== undefined);
}
