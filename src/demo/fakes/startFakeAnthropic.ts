import type { ServerResponse } from 'node:http';
import { startFakeHttpServer } from './fakeHttpServer.js';
import type { FakeHttpServer, RecordedRequest } from './fakeHttpServer.js';
import { ReplyQueue, countWords, field, replyTokens, stableId } from './replyScript.js';
import { sendJson, sendSse } from './writeReply.js';
import type { SseEvent } from './writeReply.js';

/** Token counts and timing of a fake reply. */
export interface FakeAnthropicReplyShape {
  /** Output tokens, capped by the request's `max_tokens`. Default 5. */
  outputTokens?: number;
  /** Uncached input tokens (`usage.input_tokens`). Default: word count of `system` and `messages`. */
  inputTokens?: number;
  /** `usage.cache_creation_input_tokens` (not part of input_tokens). Default 0. */
  cacheCreationTokens?: number;
  /** `usage.cache_read_input_tokens` (not part of input_tokens). Default 0. */
  cacheReadTokens?: number;
  /** Reply text instead of `tok0 tok1 ...`; its words are the tokens. */
  text?: string;
  /** Wait between stream events, ms. Default 0. */
  chunkDelayMs?: number;
  /** Behave like a provider that ignores the request's `max_tokens`. Default false. */
  ignoreMaxTokens?: boolean;
  /** Part of the cache writes made with a 1-hour TTL (`usage.cache_creation.ephemeral_1h_input_tokens`). Default 0. */
  cacheCreation1hTokens?: number;
  /** `usage.server_tool_use.web_search_requests` (in the final usage: the message, or a stream's message_delta). Default 0. */
  webSearches?: number;
  /** `usage.server_tool_use.code_execution_requests` (in the final usage, like webSearches). Default 0. */
  codeExecutions?: number;
  /** `usage.iterations`: the billed steps of a call with compaction, each with its own counts. Default none. */
  iterations?: FakeAnthropicIteration[];
}

/** One billed step of a compacted call (`usage.iterations[]`). */
export interface FakeAnthropicIteration {
  /** 'compaction' for the summarising step, 'message' for the reply. */
  type: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens?: number;
  cacheReadTokens?: number;
}

/** An error reply in Anthropic's wire shape. */
export interface FakeAnthropicError {
  status: 400 | 401 | 404 | 429 | 500 | 529;
  message?: string;
  /** `error.type`; default by status (invalid_request_error, rate_limit_error, api_error, overloaded_error). */
  type?: string;
  /** Sends `x-should-retry: false` when false, `true` when true; omitted by default. */
  shouldRetry?: boolean;
}

/** One scripted reply: an error, or overrides of the reply shape for one request. */
export type FakeAnthropicReply = { error: FakeAnthropicError } | FakeAnthropicReplyShape;

/** Defaults for every reply; `script()` overrides them one request at a time. */
export type FakeAnthropicOptions = FakeAnthropicReplyShape;

/** A running fake Anthropic API. */
export interface FakeAnthropic extends FakeHttpServer {
  /** Same as `url`: pass as `baseURL` to `new Anthropic({ baseURL, apiKey: 'test' })`. */
  baseURL: string;
  /** Queues replies for the next requests, in order (then the defaults apply again). */
  script(...replies: FakeAnthropicReply[]): void;
}

const ERROR_TYPES: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  404: { type: 'not_found_error', message: 'model not found' },
  429: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/**
 * A fake Anthropic API on 127.0.0.1 speaking the real wire format: POST /v1/messages
 * as JSON or SSE (message_start with usage, content_block_start/delta/stop,
 * message_delta with usage.output_tokens, message_stop, plus a ping), and error bodies
 * `{ type: 'error', error: { type, message }, request_id }`. Replies are deterministic.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const queue = new ReplyQueue<FakeAnthropicReply>();
  let requestCount = 0;
  const server = await startFakeHttpServer(async (req, res) => {
    requestCount += 1;
    const requestId = `req_fake_${requestCount}`;
    const scripted = queue.next();
    if (scripted !== undefined && 'error' in scripted) {
      sendError(res, scripted.error, requestId);
      return;
    }
    if (req.method === 'POST' && req.path.split('?')[0] === '/v1/messages') {
      return messages(req, res, { ...options, ...scripted }, requestId);
    }
    sendError(res, { status: 404, message: `Unknown path ${req.method} ${req.path}` }, requestId);
  });
  return { ...server, baseURL: server.url, script: (...replies) => queue.push(...replies) };
}

function sendError(res: ServerResponse, error: FakeAnthropicError, requestId: string): void {
  const defaults = ERROR_TYPES[error.status] ?? { type: 'api_error', message: 'Error' };
  const headers: Record<string, string> = { 'request-id': requestId };
  if (error.shouldRetry !== undefined) headers['x-should-retry'] = String(error.shouldRetry);
  sendJson(
    res,
    error.status,
    { type: 'error', error: { type: error.type ?? defaults.type, message: error.message ?? defaults.message }, request_id: requestId },
    headers,
  );
}

async function messages(req: RecordedRequest, res: ServerResponse, shape: FakeAnthropicReplyShape, requestId: string): Promise<void> {
  const body = req.body;
  const model = String(field(body, 'model') ?? 'unknown');
  const prompt = [field(body, 'system') ?? '', field(body, 'messages') ?? ''];
  const wanted = shape.text !== undefined ? replyTokens(0, shape.text).length : (shape.outputTokens ?? 5);
  const maxTokens = field(body, 'max_tokens');
  const outputTokens = typeof maxTokens === 'number' && shape.ignoreMaxTokens !== true ? Math.min(wanted, maxTokens) : wanted;
  const tokens = replyTokens(outputTokens, shape.text).slice(0, outputTokens);
  const stopReason = outputTokens < wanted ? 'max_tokens' : 'end_turn';
  const inputTokens = shape.inputTokens ?? countWords(prompt);
  const cacheCreation = shape.cacheCreationTokens ?? 0;
  const cacheRead = shape.cacheReadTokens ?? 0;
  const id = stableId('msg_', { model, prompt });
  const cache1h = Math.min(shape.cacheCreation1hTokens ?? 0, cacheCreation);
  const webSearches = shape.webSearches ?? 0;
  const codeExecutions = shape.codeExecutions ?? 0;
  const serverToolUse: Record<string, number> = { web_search_requests: webSearches, web_fetch_requests: 0 };
  if (codeExecutions > 0) serverToolUse.code_execution_requests = codeExecutions;
  const usage = (output: number, final = true): Record<string, unknown> => ({
    input_tokens: inputTokens,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: cacheCreation - cache1h, ephemeral_1h_input_tokens: cache1h },
    output_tokens: output,
    service_tier: 'standard',
    ...(final && webSearches + codeExecutions > 0 ? { server_tool_use: serverToolUse } : {}),
    ...(final && shape.iterations !== undefined ? { iterations: shape.iterations.map(iterationUsage) } : {}),
  });
  const headers = { 'request-id': requestId };
  const message = (content: unknown[], stop: string | null, output: number, final = true): Record<string, unknown> => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: usage(output, final),
  });
  if (field(body, 'stream') !== true) {
    sendJson(res, 200, message([{ type: 'text', text: tokens.join('') }], stopReason, outputTokens), headers);
    return;
  }
  function* events(): Generator<SseEvent> {
    yield { event: 'message_start', data: { type: 'message_start', message: message([], null, 1, false) } };
    yield { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } };
    yield { event: 'ping', data: { type: 'ping' } };
    for (const token of tokens) {
      yield {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: token } },
      };
    }
    yield { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } };
    yield {
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: deltaUsage(outputTokens, usage(outputTokens)) },
    };
    yield { event: 'message_stop', data: { type: 'message_stop' } };
  }
  await sendSse(res, events(), shape.chunkDelayMs ?? 0, headers);
}

function iterationUsage(it: FakeAnthropicIteration): Record<string, unknown> {
  return {
    type: it.type,
    input_tokens: it.inputTokens,
    output_tokens: it.outputTokens,
    cache_creation_input_tokens: it.cacheCreationTokens ?? 0,
    cache_read_input_tokens: it.cacheReadTokens ?? 0,
  };
}

/** A stream's message_delta usage: `output_tokens`, plus the server-tool and iteration counts known only at the end. */
function deltaUsage(output: number, final: Record<string, unknown>): Record<string, unknown> {
  const delta: Record<string, unknown> = { output_tokens: output };
  for (const key of ['server_tool_use', 'iterations']) if (final[key] !== undefined) delta[key] = final[key];
  return delta;
}
