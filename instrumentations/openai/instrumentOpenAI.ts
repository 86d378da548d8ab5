import { diag } from '@opentelemetry/api';
import type { OpenAI } from 'openai';
import type { TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { ApiPromiseLike } from '../shared/ApiPromiseLike.js';
import { gatedCall } from '../shared/gatedCall.js';
import { installRequestGate } from '../shared/requestGate.js';
import { serverAttributes } from '../shared/serverAttributes.js';
import { ChatStreamAccumulator } from './ChatStreamAccumulator.js';
import { ResponsesStreamAccumulator } from './ResponsesStreamAccumulator.js';
import { describeOpenAIRequest, withStreamUsage } from './describeOpenAIRequest.js';
import type { OpenAIEndpoint } from './describeOpenAIRequest.js';
import { readOpenAIResult } from './readOpenAIResult.js';

export interface InstrumentOpenAIOptions {
  /**
   * Add `stream_options: { include_usage: true }` to chat-completion streams that did not
   * ask for usage, so they can be priced; the extra usage-only chunk (and the `usage: null`
   * field on other chunks) is hidden from the caller. Default true. When false, such
   * streams are priced on the output tokens counted from their chunks and the estimated input.
   */
  injectStreamUsage?: boolean;
}

const INSTRUMENTED = Symbol('tollgate.instrumentOpenAI');

type Create = (body: unknown, options?: object) => ApiPromiseLike<unknown>;

/**
 * Instruments one `openai` client instance (OpenAI or AzureOpenAI): `chat.completions.create`,
 * `responses.create` and `embeddings.create`, plain and streaming, go through tollgate's call
 * driver: a span, admission by the budget engine (no span processor needed), pricing and
 * settlement. Returns the same client. Nothing global is patched: other clients, and clients
 * derived with `withOptions()`, are untouched.
 *
 * Callers get the SDK's own `APIPromise` and `Stream` objects; a deny rejects the APIPromise
 * with `BudgetExceededError` before any request is sent; a fallback sends the fallback model;
 * a request without an output limit under a deny cap is sent with the limit its reservation
 * covers; a stream whose running cost passes its reservation (a provider that ignored the
 * limit) is aborted and its iteration throws `BudgetExceededError`.
 */
export function instrumentOpenAI<C extends OpenAI>(client: C, tollgate: TollgateHandle, options: InstrumentOpenAIOptions = {}): C {
  const marked = client as unknown as Record<symbol, unknown>;
  if (marked[INSTRUMENTED] === true) {
    diag.warn('tollgate: instrumentOpenAI was called twice on the same client; the second call is ignored');
    return client;
  }
  Object.defineProperty(client, INSTRUMENTED, { value: true });
  if (!installRequestGate(client)) {
    tollgate.calls.problems.report(
      'internal',
      "this openai client has no prepareOptions hook, so a refusal decided asynchronously (a Redis store, a rate limit) cannot hold its requests back; use a supported openai version",
    );
  }
  const injectStreamUsage = options.injectStreamUsage ?? true;
  const server = serverAttributes(client.baseURL);
  // OpenAI's own API (and Azure's) takes max_completion_tokens; compatible servers (Ollama, vLLM...) take max_tokens.
  const official = /(^|\.)openai\.com$|\.openai\.azure\.com$/.test(String(server['server.address'] ?? ''));

  const patch = (resource: object, endpoint: OpenAIEndpoint): void => {
    const original = (resource as { create: Create }).create;
    const create = (body: unknown, requestOptions?: object): ApiPromiseLike<unknown> => {
      if (body === null || typeof body !== 'object') return original.call(resource, body, requestOptions);
      let sent = body as Record<string, unknown>;
      let injected = false;
      if (endpoint === 'chat.completions' && injectStreamUsage) ({ body: sent, injected } = withStreamUsage(sent));
      const request = describeOpenAIRequest(endpoint, body, official);
      return gatedCall<unknown>({
        tollgate,
        request: { ...request, attributes: server },
        options: requestOptions,
        send: (opts) => original.call(resource, sent, opts),
        readResult: (data) => readOpenAIResult(endpoint, data),
        accumulator: () => (endpoint === 'responses' ? new ResponsesStreamAccumulator() : new ChatStreamAccumulator(injected)),
        hideInjected: injected,
      });
    };
    Object.defineProperty(resource, 'create', { value: create, writable: true, configurable: true });
  };
  patch(client.chat.completions, 'chat.completions');
  patch(client.responses, 'responses');
  patch(client.embeddings, 'embeddings');
  return client;
}
