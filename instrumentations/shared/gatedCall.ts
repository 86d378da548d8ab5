import type { Attributes } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import { isPromise } from '../../src/core/maybePromise.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import type { DrivenCall } from '../../src/track/CallDriver.js';
import type { TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { ApiPromiseLike } from './ApiPromiseLike.js';
import { observeStream } from './observeStream.js';
import type { ChunkVerdict, IteratorOwner, StreamHooks, StreamOutcome } from './observeStream.js';
import { withGate } from './requestGate.js';
import type { BodyPatch, RequestGate } from './requestGate.js';
import type { RequestDescription } from './RequestDescription.js';
import type { StreamAccumulator } from './StreamAccumulator.js';

/** What the result of a non-streaming call contributes to its span. */
export interface CallResult {
  attributes: Attributes;
  usage: TokenUsage | undefined;
  /** Output content: for `gen_ai.output.messages` under content capture, and for an output estimate when usage is missing. */
  output?: unknown;
}

export interface GatedCallSpec<Chunk> {
  tollgate: TollgateHandle;
  request: RequestDescription;
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
 * Runs one provider call through the call driver, returning the SDK's own APIPromise:
 * 1. the driver starts the span and the engine admits; a refusal rejects the APIPromise at the
 *    SDK's prepareOptions hook, so nothing is sent;
 * 2. the request waits there for an admission still being decided (asynchronous store, rate
 *    limit); the body gets the fallback model, and the output limit the reservation covers
 *    when the caller set none;
 * 3. the parsed result (or each streamed chunk, judged against the reservation) is recorded and
 *    the span ended exactly once; a stream that runs past its reservation is cut.
 */
export function gatedCall<Chunk>(spec: GatedCallSpec<Chunk>): ApiPromiseLike<unknown> {
  const { tollgate, request } = spec;
  const call = tollgate.calls.begin(request);
  let gate: RequestGate | undefined;
  try {
    const ready = call.ready;
    gate = isPromise(ready) ? ready.then(() => bodyPatch(request, call)) : bodyPatch(request, call);
  } catch (err: unknown) {
    gate = refusedGate(err);
  }
  const options = gate === undefined ? spec.options : withGate(spec.options, gate);
  const inner = context.with(call.context, () => spec.send(options));
  inner.asResponse().then(undefined, (err: unknown) => call.fail(err));
  // Observe the parsed result inside the SDK's own parse step: the APIPromise parses once and
  // caches it, so every consumer shares one parse. The caller gets the SDK's own object.
  const parseResponse = inner.parseResponse;
  inner.parseResponse = async (client: unknown, props: unknown): Promise<unknown> => {
    const data = await parseResponse.call(inner, client, props);
    if (request.stream && isStream(data)) observeStream(data, streamHooks(spec, call));
    else recordResult(spec, call, data);
    return data;
  };
  if (!request.stream) observeRawResponses(inner, spec, call);
  return inner;
}

/** The body changes the call's admission asks for: the fallback model, and the output limit it set for the caller. */
function bodyPatch(request: RequestDescription, call: DrivenCall): BodyPatch | undefined {
  let patch: BodyPatch | undefined;
  if (call.model !== request.model) patch = { model: call.model };
  if (call.outputLimit !== undefined && request.outputLimitField !== undefined) patch = { ...patch, [request.outputLimitField]: call.outputLimit };
  return patch;
}

/** A gate that refuses the request with `err` (its rejection is the SDK's to report, never unhandled). */
function refusedGate(err: unknown): RequestGate {
  const gate: RequestGate = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  gate.catch(() => undefined);
  return gate;
}

function recordResult<Chunk>(spec: GatedCallSpec<Chunk>, call: DrivenCall, data: unknown): void {
  let result: CallResult | undefined;
  try {
    result = spec.readResult(data);
  } catch {
    result = undefined;
  }
  if (result?.usage !== undefined) {
    call.succeed({ usage: result.usage, attributes: result.attributes, output: result.output });
    return;
  }
  // No usage in the response: estimate from what was seen (the input counted before, the output text now).
  const output = result?.output === undefined ? 0 : countTokens(spec, call, result.output);
  call.succeed({ usage: { input: call.estimatedInputTokens, output }, usageSource: 'estimated', attributes: result?.attributes ?? {}, output: result?.output });
}

function countTokens<Chunk>(spec: GatedCallSpec<Chunk>, call: DrivenCall, text: unknown): number {
  try {
    return spec.tollgate.estimateInputTokens(call.model, text);
  } catch {
    return 0;
  }
}

/**
 * A caller that only takes the raw Response (`asResponse()`) never makes the SDK parse
 * the body: read a clone then. Under `withResponse()` the SDK is already reading the
 * body, clone() fails, and the parsed result is recorded instead.
 */
function observeRawResponses<Chunk>(result: ApiPromiseLike<unknown>, spec: GatedCallSpec<Chunk>, call: DrivenCall): void {
  const original = result.asResponse;
  const asResponse = (): Promise<Response> =>
    original.call(result).then((response) => {
      if (response.ok) {
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

function streamHooks<Chunk>(spec: GatedCallSpec<Chunk>, call: DrivenCall): StreamHooks<Chunk> {
  const acc = spec.accumulator();
  let crossing: TokenUsage | undefined;
  return {
    onChunk(chunk: Chunk): ChunkVerdict {
      acc.add(chunk);
      const running = acc.runningUsage(call.estimatedInputTokens);
      const cut = call.check(running);
      if (cut !== undefined) {
        crossing = running;
        return { cut };
      }
      if (spec.hideInjected && acc.isInjected(chunk)) return 'hide';
      return 'pass';
    },
    onFinish(outcome: StreamOutcome, error?: unknown): void {
      const reported = acc.reportedUsage();
      const usage = outcome === 'cut' && crossing !== undefined ? crossing : (reported ?? acc.runningUsage(call.estimatedInputTokens));
      const result = { usage, usageSource: reported !== undefined && outcome !== 'cut' ? ('reported' as const) : ('estimated' as const), attributes: acc.attributes(), output: acc.outputText() };
      if (outcome === 'error') call.fail(error, result);
      else call.succeed({ ...result, status: outcome === 'cut' ? 'cost_exceeded' : 'ok' });
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
