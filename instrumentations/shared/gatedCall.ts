import { SpanKind, context, diag, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import type { AdmissionInfo, TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_TOLLGATE_FALLBACK_MODEL,
  ATTR_TOLLGATE_REQUESTED_MODEL,
  ATTR_TOLLGATE_STATUS,
  ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK,
} from '../../src/semconv/attributes.js';
import type { ApiPromiseLike } from './ApiPromiseLike.js';
import { CallRecorder } from './CallRecorder.js';
import { observeStream } from './observeStream.js';
import type { ChunkVerdict, IteratorOwner, StreamHooks, StreamOutcome } from './observeStream.js';
import { withGate } from './requestGate.js';
import type { BodyPatch, RequestGate } from './requestGate.js';
import { requestAttributes, spanName } from './requestAttributes.js';
import type { RequestDescription } from './requestAttributes.js';
import type { StreamAccumulator } from './StreamAccumulator.js';
import { usageAttributes } from './usageAttributes.js';

/** The state of one instrumented call, shared by its admission, result and stream hooks. */
export interface CallState {
  readonly recorder: CallRecorder;
  /** performance.now() when create() was called. */
  readonly startedAt: number;
  /** The model the request is sent with (the fallback model after a fallback). */
  model: string;
  admission: AdmissionInfo | undefined;
  /** Estimated input tokens (0 when the estimator failed). */
  readonly estimatedInput: number;
}

/** What the result of a non-streaming call contributes to its span. */
export interface CallResult {
  attributes: Attributes;
  usage: TokenUsage | undefined;
  /** Output content for `gen_ai.output.messages` (only used under content capture). */
  output?: unknown;
}

export interface GatedCallSpec<Chunk> {
  tollgate: TollgateHandle;
  request: RequestDescription;
  /** Extra start attributes (server.address / port). */
  extraAttributes: Attributes;
  /** The caller's request options (second argument of create). */
  options: object | undefined;
  /** Sends the request with these options through the original create (body already prepared). */
  send(options: object | undefined): ApiPromiseLike<unknown>;
  /** Reads a parsed non-streaming result (or the raw JSON of a response read by asResponse()). */
  readResult(data: unknown): CallResult;
  /** A fresh accumulator for a streaming call. */
  accumulator(): StreamAccumulator<Chunk>;
  /** Hide the chunks the accumulator marks as injected (usage the caller did not ask for). */
  hideInjected: boolean;
}

/**
 * Runs one provider call under a tollgate span:
 * 1. starts `{operation} {model}` (CLIENT) with the request attributes; a BudgetExceededError
 *    thrown by startSpan (a deny) rejects the returned APIPromise and nothing is sent;
 * 2. holds the request at the SDK's prepareOptions hook until `tollgate.admission(span)`
 *    resolves; a rejection ends the span and rejects the APIPromise; a fallback swaps `model`;
 * 3. records the parsed result (non-streaming) or wraps the SDK Stream's iterator (streaming),
 *    ends the span exactly once, and cuts a stream off at the request budget.
 * Returns the SDK's own APIPromise (its parse step observed), so `await`, `.withResponse()`
 * and `.asResponse()` behave as without tollgate.
 */
export function gatedCall<Chunk>(spec: GatedCallSpec<Chunk>): ApiPromiseLike<unknown> {
  const { tollgate, request } = spec;
  const startedAt = performance.now();
  let estimatedInput = 0;
  try {
    estimatedInput = tollgate.estimateInputTokens(request.model, request.input);
  } catch (err: unknown) {
    diag.error('tollgate: input token estimate failed', err);
  }
  let span: Span;
  try {
    span = tollgate.tracer.startSpan(
      spanName(request),
      { kind: SpanKind.CLIENT, attributes: { ...requestAttributes(request, estimatedInput), ...spec.extraAttributes } },
      context.active(),
    );
  } catch (err: unknown) {
    if (isRefusal(err)) {
      return spec.send(withGate(spec.options, refusedGate(err)));
    }
    diag.error('tollgate: could not start a span; the call goes on untracked', err);
    return spec.send(spec.options);
  }
  const recorder = new CallRecorder(span);
  if (tollgate.captureContent) recorder.setOne(ATTR_GEN_AI_INPUT_MESSAGES, safeJson(request.input));
  const call: CallState = { recorder, startedAt, model: request.model, admission: undefined, estimatedInput };
  // Decided at once (synchronous stores, no rate limit): send with the options as they are, or
  // with the fallback model; otherwise the request waits at the SDK's prepareOptions hook.
  let options: object | undefined;
  const decided = admitNow(tollgate, request, call);
  if (decided === PENDING) {
    const gate = admit(tollgate, request, call);
    gate.catch(() => undefined);
    options = withGate(spec.options, gate);
  } else if (decided instanceof Error) {
    options = withGate(spec.options, refusedGate(decided));
  } else {
    options = decided === undefined ? spec.options : withGate(spec.options, decided);
  }

  const inner = context.with(trace.setSpan(context.active(), span), () => spec.send(options));
  inner.asResponse().then(undefined, (err: unknown) => {
    recorder.fail(err);
    recorder.end();
  });
  // Observe the parsed result inside the SDK's own parse step: the APIPromise parses once and
  // caches it, so every consumer (the caller, or another instrumentation that also awaits this
  // promise) shares one parse and the body is read once. The caller gets the SDK's own object.
  const parseResponse = inner.parseResponse;
  inner.parseResponse = async (client: unknown, props: unknown): Promise<unknown> => {
    const data = await parseResponse.call(inner, client, props);
    if (request.stream) {
      if (isStream(data)) observeStream(data, streamHooks(spec, call));
      else recorder.end();
    } else {
      recordResult(spec, call, data);
    }
    return data;
  };
  if (!request.stream) observeRawResponses(inner, spec, call);
  return inner;
}

/** admitNow's answer when admission is still being decided (an asynchronous store, or a rate limit to wait for). */
const PENDING = Symbol('pending');

/**
 * The admission when it is already decided: the body patch (fallback model) or undefined to send
 * as is, the refusal (span ended), or PENDING when `admit()` must wait for it.
 */
function admitNow(tollgate: TollgateHandle, request: RequestDescription, call: CallState): BodyPatch | undefined | Error | typeof PENDING {
  if (tollgate.admissionNow === undefined || tollgate.rateLimit !== undefined) return PENDING;
  const { recorder } = call;
  let info: AdmissionInfo | undefined;
  try {
    const now = tollgate.admissionNow(recorder.span);
    if (now !== undefined && typeof (now as { then?: unknown }).then === 'function') return PENDING;
    info = now as AdmissionInfo | undefined;
  } catch (err: unknown) {
    if (isRefusal(err)) return refused(call, err);
    diag.error('tollgate: admission failed; the call goes on', err);
    return undefined;
  }
  return applyAdmission(request, call, info);
}

/** A gate that refuses the request with `err` (its rejection is the SDK's to report, never unhandled). */
function refusedGate(err: Error): RequestGate {
  const gate: RequestGate = Promise.reject(err);
  gate.catch(() => undefined);
  return gate;
}

/** A refused call: its span records the refusal and ends (settled as denied); the error is what the caller gets. */
function refused(call: CallState, err: Error): Error {
  call.recorder.fail(err);
  call.recorder.setOne(ATTR_TOLLGATE_STATUS, 'denied');
  call.recorder.end();
  return err;
}

/** Records an admission on the call; a fallback gives the body patch that swaps the model. */
function applyAdmission(request: RequestDescription, call: CallState, info: AdmissionInfo | undefined): BodyPatch | undefined {
  call.admission = info;
  if (info !== undefined && info.model !== request.model) {
    call.model = info.model;
    call.recorder.set({ [ATTR_TOLLGATE_REQUESTED_MODEL]: request.model, [ATTR_TOLLGATE_FALLBACK_MODEL]: info.model });
    return { model: info.model };
  }
  return undefined;
}

async function admit(tollgate: TollgateHandle, request: RequestDescription, call: CallState): Promise<BodyPatch | undefined> {
  const { recorder } = call;
  let info: AdmissionInfo | undefined;
  try {
    info = await tollgate.admission(recorder.span);
  } catch (err: unknown) {
    if (isRefusal(err)) throw refused(call, err);
    diag.error('tollgate: admission failed; the call goes on', err);
    return undefined;
  }
  if (tollgate.rateLimit !== undefined) {
    try {
      // Waits for (or refuses at) the provider's requests/tokens-per-minute limit.
      await tollgate.rateLimit(request.provider, call.estimatedInput + (request.maxTokens ?? 0));
    } catch (err: unknown) {
      recorder.fail(err);
      recorder.end(); // settles at 0 and releases the reservation
      throw err;
    }
  }
  return applyAdmission(request, call, info);
}

function recordResult<Chunk>(spec: GatedCallSpec<Chunk>, call: CallState, data: unknown): void {
  const { recorder } = call;
  if (recorder.ended) return;
  try {
    const result = spec.readResult(data);
    recorder.set(result.attributes);
    if (result.usage !== undefined) recorder.set(usageAttributes(result.usage));
    if (spec.tollgate.captureContent && result.output !== undefined) {
      recorder.setOne(ATTR_GEN_AI_OUTPUT_MESSAGES, safeJson(result.output));
    }
  } catch (err: unknown) {
    diag.error('tollgate: could not read a call result', err);
  }
  recorder.end();
}

/**
 * A caller that only takes the raw Response (`asResponse()`) never makes the SDK parse
 * the body: read a clone then. Under `withResponse()` the SDK is already reading the
 * body, clone() fails, and the parsed result is recorded instead.
 */
function observeRawResponses<Chunk>(result: ApiPromiseLike<unknown>, spec: GatedCallSpec<Chunk>, call: CallState): void {
  const original = result.asResponse.bind(result);
  const asResponse = (): Promise<Response> =>
    original().then((response) => {
      if (!call.recorder.ended && response.ok) {
        let copy: Response | undefined;
        try {
          copy = response.clone();
        } catch {
          copy = undefined;
        }
        copy?.json().then(
          (data: unknown) => recordResult(spec, call, data),
          () => undefined,
        );
      }
      return response;
    });
  Object.defineProperty(result, 'asResponse', { value: asResponse, writable: true, configurable: true });
}

function streamHooks<Chunk>(spec: GatedCallSpec<Chunk>, call: CallState): StreamHooks<Chunk> {
  const { tollgate, request } = spec;
  const { recorder } = call;
  const acc = spec.accumulator();
  let first = true;
  let crossing: TokenUsage | undefined;
  return {
    onChunk(chunk: Chunk): ChunkVerdict {
      if (first) {
        first = false;
        recorder.setOne(ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK, (performance.now() - call.startedAt) / 1000);
      }
      const before = acc.runningUsage(call.estimatedInput);
      acc.add(chunk);
      const limit = call.admission?.requestLimitNanos;
      if (limit !== undefined && acc.reportedUsage() === undefined) {
        const model = acc.responseModel() ?? call.model;
        const running = acc.runningUsage(call.estimatedInput);
        const cost = tollgate.costNanos(request.provider, model, running);
        if (cost > limit) {
          crossing = running;
          const spent = tollgate.costNanos(request.provider, model, before);
          return {
            cut: new BudgetExceededError({
              budgetId: 'request',
              scope: 'request',
              key: recorder.span.spanContext().spanId,
              spentUsd: spent / 1e9,
              limitUsd: limit / 1e9,
              attemptedUsd: cost / 1e9,
              action: 'deny',
              model,
            }),
          };
        }
      }
      if (spec.hideInjected && acc.isInjected(chunk)) return 'hide';
      return 'pass';
    },
    onFinish(outcome: StreamOutcome, error?: unknown): void {
      if (recorder.ended) return;
      recorder.set(acc.attributes());
      const usage = outcome === 'cut' && crossing !== undefined ? crossing : (acc.reportedUsage() ?? acc.runningUsage(call.estimatedInput));
      recorder.set(usageAttributes(usage));
      if (tollgate.captureContent) recorder.setOne(ATTR_GEN_AI_OUTPUT_MESSAGES, safeJson(acc.outputText()));
      if (outcome === 'cut') recorder.setOne(ATTR_TOLLGATE_STATUS, 'cost_exceeded');
      if (outcome === 'error') recorder.fail(error);
      recorder.end();
    },
  };
}

function isStream(value: unknown): value is IteratorOwner<never> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { iterator?: unknown }).iterator === 'function' &&
    (value as { controller?: unknown }).controller instanceof AbortController
  );
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * Refusals the caller must see (nothing is sent): a budget deny, an unknown model under the
 * 'deny' policy, a store that is down under failMode 'closed'. Matched by name so that
 * errors from another copy of the package still count.
 */
function isRefusal(err: unknown): err is Error {
  return (
    err instanceof BudgetExceededError ||
    (err instanceof Error && (err.name === 'UnknownModelError' || err.name === 'LedgerUnavailableError'))
  );
}
