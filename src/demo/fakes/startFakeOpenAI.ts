import type { ServerResponse } from 'node:http';
import { startFakeHttpServer } from './fakeHttpServer.js';
import type { FakeHttpServer, RecordedRequest } from './fakeHttpServer.js';
import { ReplyQueue, countWords, field, replyTokens, stableId } from './replyScript.js';
import { sendJson, sendSse } from './writeReply.js';
import type { SseEvent } from './writeReply.js';

/** Token counts and timing of a fake reply. */
export interface FakeOpenAIReplyShape {
  /** Output tokens (reasoning included), capped by the request's max tokens. Default 5. */
  outputTokens?: number;
  /** Input tokens (cached included). Default: word count of the request's messages / input / instructions. */
  inputTokens?: number;
  /** Part of the input served from cache (`prompt_tokens_details.cached_tokens`). Default 0. */
  cachedTokens?: number;
  /** Part of the output spent reasoning (not streamed as text). Default 0. */
  reasoningTokens?: number;
  /** Reply text instead of `tok0 tok1 ...`; its words are the tokens. */
  text?: string;
  /** Wait between stream chunks, ms. Default 0. */
  chunkDelayMs?: number;
  /** Behave like a provider that ignores the request's output limit. Default false. */
  ignoreMaxTokens?: boolean;
  /** Billed units beyond tokens. Default: none. */
  units?: FakeOpenAIUnits;
  /** The response's `model`, e.g. a dated snapshot. Default: the request's model. */
  responseModel?: string;
}

/** Usage shapes of billed units beyond plain tokens, as the real APIs report them. */
export interface FakeOpenAIUnits {
  /** `service_tier` of the response. Default 'default'. */
  serviceTier?: string;
  /** `prompt_tokens_details.audio_tokens` (part of the input). Default 0. */
  inputAudioTokens?: number;
  /** `completion_tokens_details.audio_tokens` (part of the output). Default 0. */
  outputAudioTokens?: number;
  /** `prompt_tokens_details.cache_write_tokens` (part of the input); omitted unless set. */
  cacheWriteTokens?: number;
  /** Thinking tokens counted in `total_tokens` but not in `completion_tokens` (Gemini's OpenAI-compatible endpoint). Default 0. */
  hiddenThinkingTokens?: number;
  /** `web_search_call` items in a Responses output. Default 0. */
  webSearches?: number;
  /** `file_search_call` items in a Responses output. Default 0. */
  fileSearches?: number;
  /** `input_tokens_details.image_tokens` of a Responses usage (part of the input); omitted unless set. */
  inputImageTokens?: number;
  /** `code_interpreter_call` items in a Responses output. Default 0. */
  codeInterpreterCalls?: number;
  /** `image_generation_call` items in a Responses output. Default 0. */
  imageGenerations?: number;
}

/** An error reply in OpenAI's wire shape. */
export interface FakeOpenAIError {
  status: 400 | 401 | 404 | 429 | 500 | 503;
  message?: string;
  /** `error.type`; default by status (invalid_request_error, requests, server_error...). */
  type?: string;
  code?: string | null;
  /** Sends `x-should-retry: false` when false, `true` when true; omitted by default. */
  shouldRetry?: boolean;
}

/** One scripted reply: an error, or overrides of the reply shape for one request. */
export type FakeOpenAIReply = { error: FakeOpenAIError } | FakeOpenAIReplyShape;

/** Defaults for every reply; `script()` overrides them one request at a time. */
export interface FakeOpenAIOptions extends FakeOpenAIReplyShape {
  /** Length of each embedding vector. Default 4. */
  embeddingDimensions?: number;
}

/** A running fake OpenAI API. */
export interface FakeOpenAI extends FakeHttpServer {
  /** `url + '/v1'`: pass as `baseURL` to `new OpenAI({ baseURL, apiKey: 'test' })`. */
  baseURL: string;
  /** Queues replies for the next requests, in order (then the defaults apply again). */
  script(...replies: FakeOpenAIReply[]): void;
}

const CREATED = 1_700_000_000;

const ERROR_TYPES: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded.' },
};

/**
 * A fake OpenAI API on 127.0.0.1 speaking the real wire format: chat.completions
 * (JSON and SSE, with the usage-only final chunk under `stream_options.include_usage`),
 * responses (JSON and typed SSE events), embeddings (float and base64), and error
 * bodies `{ error: { message, type, param, code } }`. Replies are deterministic.
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const queue = new ReplyQueue<FakeOpenAIReply>();
  const dims = options.embeddingDimensions ?? 4;
  let requestCount = 0;

  const server = await startFakeHttpServer(async (req, res) => {
    requestCount += 1;
    const requestId = `req_fake_${requestCount}`;
    const scripted = queue.next();
    if (scripted !== undefined && 'error' in scripted) {
      sendError(res, scripted.error, requestId);
      return;
    }
    const shape: FakeOpenAIReplyShape = { ...options, ...scripted };
    const path = req.path.split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') return chat(req, res, shape, requestId);
    if (req.method === 'POST' && path === '/v1/responses') return responses(req, res, shape, requestId);
    if (req.method === 'POST' && path === '/v1/embeddings') return embeddings(req, res, shape, requestId, dims);
    sendError(res, { status: 404, message: `Unknown path ${req.method} ${req.path}` }, requestId);
  });
  return {
    ...server,
    baseURL: `${server.url}/v1`,
    script: (...replies) => queue.push(...replies),
  };
}

function sendError(res: ServerResponse, error: FakeOpenAIError, requestId: string): void {
  const defaults = ERROR_TYPES[error.status] ?? { type: 'server_error', code: null, message: 'Error.' };
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (error.shouldRetry !== undefined) headers['x-should-retry'] = String(error.shouldRetry);
  sendJson(
    res,
    error.status,
    {
      error: {
        message: error.message ?? defaults.message,
        type: error.type ?? defaults.type,
        param: null,
        code: error.code !== undefined ? error.code : defaults.code,
      },
    },
    headers,
  );
}

interface Plan {
  model: string;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  tokens: string[];
  truncated: boolean;
  delayMs: number;
  units: FakeOpenAIUnits;
}

function plan(body: unknown, shape: FakeOpenAIReplyShape, promptParts: unknown, maxTokens: unknown): Plan {
  const model = shape.responseModel ?? String(field(body, 'model') ?? 'unknown');
  const reasoning = shape.reasoningTokens ?? 0;
  const wanted = shape.text !== undefined ? replyTokens(0, shape.text).length + reasoning : (shape.outputTokens ?? 5);
  const cap = typeof maxTokens === 'number' && shape.ignoreMaxTokens !== true ? maxTokens : Number.POSITIVE_INFINITY;
  const outputTokens = Math.min(wanted, cap);
  const textTokens = Math.max(0, outputTokens - reasoning);
  return {
    model,
    inputTokens: shape.inputTokens ?? countWords(promptParts),
    cachedTokens: shape.cachedTokens ?? 0,
    outputTokens,
    reasoningTokens: Math.min(reasoning, outputTokens),
    tokens: replyTokens(textTokens, shape.text).slice(0, textTokens),
    truncated: wanted > cap,
    delayMs: shape.chunkDelayMs ?? 0,
    units: shape.units ?? {},
  };
}

function chatUsage(p: Plan): Record<string, unknown> {
  return {
    prompt_tokens: p.inputTokens,
    completion_tokens: p.outputTokens,
    total_tokens: p.inputTokens + p.outputTokens + (p.units.hiddenThinkingTokens ?? 0),
    prompt_tokens_details: {
      cached_tokens: p.cachedTokens,
      audio_tokens: p.units.inputAudioTokens ?? 0,
      ...(p.units.cacheWriteTokens !== undefined ? { cache_write_tokens: p.units.cacheWriteTokens } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: p.reasoningTokens,
      audio_tokens: p.units.outputAudioTokens ?? 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

async function chat(req: RecordedRequest, res: ServerResponse, shape: FakeOpenAIReplyShape, requestId: string): Promise<void> {
  const body = req.body;
  const messages = field(body, 'messages');
  const p = plan(body, shape, messages, field(body, 'max_completion_tokens') ?? field(body, 'max_tokens'));
  const id = stableId('chatcmpl-', { model: p.model, messages });
  const finishReason = p.truncated ? 'length' : 'stop';
  const headers = { 'x-request-id': requestId };
  if (field(body, 'stream') !== true) {
    sendJson(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created: CREATED,
        model: p.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: p.tokens.join(''), refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage: chatUsage(p),
        service_tier: p.units.serviceTier ?? 'default',
        system_fingerprint: 'fp_fake',
      },
      headers,
    );
    return;
  }
  const includeUsage = field(field(body, 'stream_options'), 'include_usage') === true;
  const chunk = (choices: unknown[], usage?: unknown): SseEvent => ({
    data: {
      id,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: p.model,
      service_tier: p.units.serviceTier ?? 'default',
      system_fingerprint: 'fp_fake',
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    },
  });
  function* events(): Generator<SseEvent> {
    yield chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
    for (const token of p.tokens) {
      yield chunk([{ index: 0, delta: { content: token }, logprobs: null, finish_reason: null }]);
    }
    yield chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]);
    if (includeUsage) yield chunk([], chatUsage(p));
    yield { data: '[DONE]' };
  }
  await sendSse(res, events(), p.delayMs, headers);
}

function responseObject(id: string, p: Plan, body: unknown, status: 'in_progress' | 'completed' | 'incomplete'): Record<string, unknown> {
  const done = status !== 'in_progress';
  return {
    id,
    object: 'response',
    created_at: CREATED,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: field(body, 'instructions') ?? null,
    max_output_tokens: field(body, 'max_output_tokens') ?? null,
    model: p.model,
    service_tier: p.units.serviceTier ?? 'default',
    output: done
      ? [
          ...serverToolItems(id, p.units),
          {
            id: `msg_${id.slice(5)}`,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', annotations: [], logprobs: [], text: p.tokens.join('') }],
          },
        ]
      : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: done
      ? {
          input_tokens: p.inputTokens,
          input_tokens_details: { cached_tokens: p.cachedTokens, ...(p.units.inputImageTokens !== undefined ? { image_tokens: p.units.inputImageTokens } : {}) },
          output_tokens: p.outputTokens,
          output_tokens_details: { reasoning_tokens: p.reasoningTokens },
          total_tokens: p.inputTokens + p.outputTokens,
        }
      : null,
    metadata: {},
  };
}

/** The server-side tool call items (web search, file search, code interpreter, image generation) a Responses output starts with. */
function serverToolItems(id: string, units: FakeOpenAIUnits): Record<string, unknown>[] {
  const web = Array.from({ length: units.webSearches ?? 0 }, (_, i) => ({
    id: `ws_${i}_${id.slice(5)}`,
    type: 'web_search_call',
    status: 'completed',
    action: { type: 'search', query: `query ${i}` },
  }));
  const file = Array.from({ length: units.fileSearches ?? 0 }, (_, i) => ({
    id: `fs_${i}_${id.slice(5)}`,
    type: 'file_search_call',
    status: 'completed',
    queries: [`query ${i}`],
    results: null,
  }));
  const code = Array.from({ length: units.codeInterpreterCalls ?? 0 }, (_, i) => ({
    id: `ci_${i}_${id.slice(5)}`,
    type: 'code_interpreter_call',
    status: 'completed',
    code: `print(${i})`,
    container_id: `cntr_${id.slice(5)}`,
    outputs: null,
  }));
  const image = Array.from({ length: units.imageGenerations ?? 0 }, (_, i) => ({
    id: `ig_${i}_${id.slice(5)}`,
    type: 'image_generation_call',
    status: 'completed',
    result: null,
  }));
  return [...web, ...file, ...code, ...image];
}

async function responses(req: RecordedRequest, res: ServerResponse, shape: FakeOpenAIReplyShape, requestId: string): Promise<void> {
  const body = req.body;
  const input = field(body, 'input');
  const instructions = field(body, 'instructions');
  const p = plan(body, shape, [instructions ?? '', input ?? ''], field(body, 'max_output_tokens'));
  const id = stableId('resp_', { model: p.model, input, instructions });
  const finalStatus = p.truncated ? 'incomplete' : 'completed';
  const headers = { 'x-request-id': requestId };
  if (field(body, 'stream') !== true) {
    sendJson(res, 200, responseObject(id, p, body, finalStatus), headers);
    return;
  }
  const itemId = `msg_${id.slice(5)}`;
  const text = p.tokens.join('');
  function* events(): Generator<SseEvent> {
    let seq = 0;
    const ev = (type: string, rest: Record<string, unknown>): SseEvent => ({
      event: type,
      data: { type, sequence_number: seq++, ...rest },
    });
    yield ev('response.created', { response: responseObject(id, p, body, 'in_progress') });
    yield ev('response.in_progress', { response: responseObject(id, p, body, 'in_progress') });
    const item = { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    yield ev('response.output_item.added', { output_index: 0, item });
    const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
    yield ev('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part });
    for (const token of p.tokens) {
      yield ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: token, logprobs: [] });
    }
    yield ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] });
    yield ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text } });
    const finalItem = { ...item, status: 'completed', content: [{ ...part, text }] };
    yield ev('response.output_item.done', { output_index: 0, item: finalItem });
    const finalType = finalStatus === 'completed' ? 'response.completed' : 'response.incomplete';
    yield ev(finalType, { response: responseObject(id, p, body, finalStatus) });
  }
  await sendSse(res, events(), p.delayMs, headers);
}

async function embeddings(
  req: RecordedRequest,
  res: ServerResponse,
  shape: FakeOpenAIReplyShape,
  requestId: string,
  dims: number,
): Promise<void> {
  const body = req.body;
  const input = field(body, 'input');
  const inputs: unknown[] = Array.isArray(input) && input.some((x) => typeof x !== 'number') ? input : [input];
  const base64 = field(body, 'encoding_format') === 'base64';
  const data = inputs.map((item, index) => {
    const vector = Array.from({ length: dims }, (_, d) => (((countWords(item) + index) * (d + 1)) % 7) / 8);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const inputTokens = shape.inputTokens ?? countWords(input);
  sendJson(
    res,
    200,
    {
      object: 'list',
      data,
      model: String(field(body, 'model') ?? 'unknown'),
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    },
    { 'x-request-id': requestId },
  );
}
