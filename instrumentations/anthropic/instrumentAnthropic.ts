import { diag } from '@opentelemetry/api';
import type { Anthropic } from '@anthropic-ai/sdk';
import type { TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { ApiPromiseLike } from '../shared/ApiPromiseLike.js';
import { resolveDimensions } from '../../src/core/attributionInput.js';
import type { AttributionInput } from '../../src/core/attributionInput.js';
import { field } from '../../src/core/fields.js';
import { callDimensions } from '../shared/callDimensions.js';
import { gatedCall } from '../shared/gatedCall.js';
import { installRequestGate } from '../shared/requestGate.js';
import { serverAttributes } from '../shared/serverAttributes.js';
import { AnthropicStreamAccumulator } from './AnthropicStreamAccumulator.js';
import { describeAnthropicRequest } from './describeAnthropicRequest.js';
import { readAnthropicResult } from './readAnthropicResult.js';

export interface InstrumentAnthropicOptions {
  /**
   * Attribution of every call made with this client (user, team, apiKey — kept only hashed —,
   * tags, metadata), laid over the attribution of the context. A request's `metadata.user_id`
   * is the call's user when this sets none. Default: none.
   */
  attribution?: AttributionInput;
}

const INSTRUMENTED = Symbol('tollgate.instrumentAnthropic');

type Create = (body: unknown, options?: object) => ApiPromiseLike<unknown>;

/**
 * Instruments one `@anthropic-ai/sdk` client instance: `messages.create` (plain and
 * `stream: true`) and `messages.stream()` (the MessageStream helper, which calls
 * `messages.create` underneath) go through tollgate's call driver: a span, admission by the
 * budget engine (no span processor needed; a deny sends nothing, a fallback sends the fallback
 * model), pricing and settlement; a stream that runs past its reservation (a provider ignoring
 * `max_tokens`) is cut. Returns the same client; nothing global is patched.
 *
 * Usage comes from the Message, or from `message_start` (input and cache tokens) and
 * `message_delta` (output tokens) when streaming. Cache tokens are reported by Anthropic
 * outside `input_tokens`; the span's `gen_ai.usage.input_tokens` includes them, with
 * `gen_ai.usage.cache_creation.input_tokens` / `cache_read.input_tokens` as its parts.
 */

export function instrumentAnthropic<C extends Anthropic>(
  client: C,
  tollgate: TollgateHandle,
  options: InstrumentAnthropicOptions = {},
): C {
  // tollgate switched off (enabled = false): the SDK is called directly, untouched.
  if (tollgate.enabled === false) return client;
  const marked = client as unknown as Record<symbol, unknown>;
  if (marked[INSTRUMENTED] === true) {
    diag.warn('tollgate: instrumentAnthropic was called twice on the same client; the second call is ignored');
    return client;
  }
  Object.defineProperty(client, INSTRUMENTED, { value: true });
  if (!installRequestGate(client)) {
    tollgate.calls.problems.report(
      'internal',
      "this @anthropic-ai/sdk client has no prepareOptions hook, so a refusal decided asynchronously (a Redis store, a rate limit) cannot hold its requests back; use a supported @anthropic-ai/sdk version",
    );
  }
  const server = serverAttributes(client.baseURL);
  const clientDims = options.attribution === undefined ? undefined : resolveDimensions(options.attribution, 'instrumentAnthropic() options.attribution');
  const resource = client.messages;
  const original = (resource as unknown as { create: Create }).create;
  const create = (body: unknown, requestOptions?: object): ApiPromiseLike<unknown> => {
    if (body === null || typeof body !== 'object') return original.call(resource, body, requestOptions);
    // A fresh object of this call: completed in place, not copied.
    const request = describeAnthropicRequest(body);
    request.attributes = server;
    const dimensions = callDimensions(clientDims, field(field(body, 'metadata'), 'user_id'));
    if (dimensions !== undefined) request.dimensions = dimensions;
    const countTokens = (text: string): number => {
      try {
        return Math.max(1, tollgate.estimateInputTokens(request.model, text));
      } catch {
        return 1;
      }
    };
    return gatedCall<unknown>({
      tollgate,
      request,
      options: requestOptions,
      send: (opts) => original.call(resource, body, opts),
      readResult: readAnthropicResult,
      accumulator: () => new AnthropicStreamAccumulator(countTokens),
      hideInjected: false,
    });
  };
  Object.defineProperty(resource, 'create', { value: create, writable: true, configurable: true });
  return client;
}
