import { diag } from '@opentelemetry/api';
import type { OpenAI } from 'openai';
import { DEFAULT_LOCAL_HOSTS, isLocalHost, isTaggedLocalModel, looksLikeCloudModel } from '../../src/pricing/localModels.js';
import { providerFromBaseUrl } from '../../src/pricing/providerFromBaseUrl.js';
import type { TollgateHandle } from '../../src/track/TollgateHandle.js';
import type { ApiPromiseLike } from '../shared/ApiPromiseLike.js';
import { resolveDimensions } from '../../src/core/attributionInput.js';
import type { AttributionInput } from '../../src/core/attributionInput.js';
import { field } from '../../src/core/fields.js';
import { callDimensions } from '../shared/callDimensions.js';
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
  /**
   * `gen_ai.provider.name` of the client's calls, for a base URL tollgate does not recognise (a
   * gateway, a proxy). Default: the provider whose API host the client's `baseURL` is, from the
   * price data (`https://api.groq.com/openai/v1` → `groq`, `https://api.x.ai/v1` → `x_ai`...);
   * `openai` for other hosts. The provider prices the calls, scopes budgets (`provider: 'groq'`)
   * and labels the ledger records and metrics.
   */
  provider?: string;
  /**
   * Hosts (names or CIDR ranges) whose models are local: on them, with no `provider` option, a
   * `name:tag` model, or one that does not look like a cloud model (not a `gpt-`/`claude`/`gemini`...
   * id, not within a typo of a priced one) is recorded with provider `local` and costs $0.
   * Default: `localhost`, 127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16. `[]` turns it off.
   */
  localHosts?: string[];
  /**
   * Attribution of every call made with this client (user, team, apiKey — kept only hashed —,
   * tags, metadata), laid over the attribution of the context. A request body's `user` is the
   * call's user when this sets none. Default: none.
   */
  attribution?: AttributionInput;
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
  // tollgate switched off (enabled = false): the SDK is called directly, untouched.
  if (tollgate.enabled === false) return client;
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
  const clientDims = options.attribution === undefined ? undefined : resolveDimensions(options.attribution, 'instrumentOpenAI() options.attribution');
  const server = serverAttributes(client.baseURL);
  const known = options.provider?.trim() || providerFromBaseUrl(client.baseURL);
  const localHost = known === undefined && isLocalHost(client.baseURL, options.localHosts ?? DEFAULT_LOCAL_HOSTS);
  const providerOf = known !== undefined ? (): string => known : localHost ? localProviderOf() : (): string => 'openai';
  // OpenAI's own API (and Azure's) takes max_completion_tokens; compatible servers (Ollama, vLLM...) take max_tokens.
  const official = /(^|\.)openai\.com$|\.openai\.azure\.com$/.test(String(server['server.address'] ?? ''));

  const patch = (resource: object, endpoint: OpenAIEndpoint): void => {
    const original = (resource as { create: Create }).create;
    const create = (body: unknown, requestOptions?: object): ApiPromiseLike<unknown> => {
      if (body === null || typeof body !== 'object') return original.call(resource, body, requestOptions);
      let sent = body as Record<string, unknown>;
      let injected = false;
      if (endpoint === 'chat.completions' && injectStreamUsage) ({ body: sent, injected } = withStreamUsage(sent));
      // A fresh object of this call: completed in place, not copied.
      const request = describeOpenAIRequest(endpoint, body, official);
      const dimensions = callDimensions(clientDims, field(body, 'user'));
      if (dimensions !== undefined) request.dimensions = dimensions;
      request.provider = providerOf(request.model);
      request.attributes = server;
      return gatedCall<unknown>({
        tollgate,
        request,
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

/** Most distinct model ids a client on a local host remembers the provider of (a process sends few; bounded all the same). */
const MAX_LOCAL_MODELS = 256;

/**
 * The provider of a model sent to a local host: `local` for a `name:tag` id or one that does not
 * look like a cloud model, else `openai`. Remembered per model id (the answer depends on the id
 * and the bundled price data only), so a call does not run the model-id tests again.
 */
function localProviderOf(): (model: string) => string {
  const known = new Map<string, string>();
  return (model: string): string => {
    let provider = known.get(model);
    if (provider === undefined) {
      provider = isTaggedLocalModel(model) || !looksLikeCloudModel(model) ? 'local' : 'openai';
      if (known.size >= MAX_LOCAL_MODELS) known.clear();
      known.set(model, provider);
    }
    return provider;
  };
}
