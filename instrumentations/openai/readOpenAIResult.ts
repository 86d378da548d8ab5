import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../../src/semconv/attributes.js';
import type { CallResult } from '../shared/gatedCall.js';
import { field, stringField } from '../../src/core/fields.js';
import type { OpenAIEndpoint } from './describeOpenAIRequest.js';
import { openaiUsage } from './openaiUsage.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';

/** Response attributes, usage and output of a parsed (non-streaming) OpenAI result. */
export function readOpenAIResult(endpoint: OpenAIEndpoint, data: unknown): CallResult {
  const attributes: Attributes = {};
  const id = stringField(data, 'id');
  const model = stringField(data, 'model');
  if (id !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = id;
  if (model !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = model;
  const usage = withServiceTier(openaiUsage(field(data, 'usage')), data);
  switch (endpoint) {
    case 'chat.completions': {
      const choices = field(data, 'choices');
      const list = Array.isArray(choices) ? choices : [];
      const reasons = list.map((c) => stringField(c, 'finish_reason')).filter((r): r is string => r !== undefined);
      if (reasons.length > 0) attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
      return { attributes, usage, output: list.map((c) => field(c, 'message')) };
    }
    case 'responses': {
      const reason = responsesFinishReason(data);
      if (reason !== undefined) attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [reason];
      return { attributes, usage: withServerTools(usage, field(data, 'output')), output: field(data, 'output') };
    }
    case 'embeddings':
      return { attributes, usage: usage !== undefined ? { input: usage.input, output: 0 } : undefined };
  }
}

/** A Responses API status as a finish reason: completed → stop, max_output_tokens → length. */
export function responsesFinishReason(response: unknown): string | undefined {
  const status = stringField(response, 'status');
  if (status === undefined) return undefined;
  if (status === 'completed') return 'stop';
  if (status === 'incomplete') {
    const reason = stringField(field(response, 'incomplete_details'), 'reason');
    return reason === 'max_output_tokens' ? 'length' : (reason ?? status);
  }
  return status;
}

/** The usage with the service tier the response states (OpenAI bills `priority` and `flex` at their own rates). */
export function withServiceTier(usage: TokenUsage | undefined, response: unknown): TokenUsage | undefined {
  const tier = stringField(response, 'service_tier');
  if (usage === undefined || tier === undefined) return usage;
  return { ...usage, serviceTier: tier };
}

/**
 * The usage with the server-side tool calls of a Responses API output: each `web_search_call`
 * item is one billed web search, each `file_search_call` one billed file search, each
 * `code_interpreter_call` one code interpreter call and each `image_generation_call` one image
 * generation (the last two have no price in the price data and are reported as unpriced).
 */
export function withServerTools(usage: TokenUsage | undefined, output: unknown): TokenUsage | undefined {
  if (usage === undefined || !Array.isArray(output)) return usage;
  let webSearches = 0;
  let fileSearches = 0;
  let codeInterpreterCalls = 0;
  let imageGenerations = 0;
  for (const item of output) {
    const type = stringField(item, 'type');
    if (type === 'web_search_call') webSearches += 1;
    else if (type === 'file_search_call') fileSearches += 1;
    else if (type === 'code_interpreter_call') codeInterpreterCalls += 1;
    else if (type === 'image_generation_call') imageGenerations += 1;
  }
  if (webSearches + fileSearches + codeInterpreterCalls + imageGenerations === 0) return usage;
  const result: TokenUsage = { ...usage };
  if (webSearches > 0) result.webSearches = webSearches;
  if (fileSearches > 0) result.fileSearches = fileSearches;
  if (codeInterpreterCalls > 0) result.codeInterpreterCalls = codeInterpreterCalls;
  if (imageGenerations > 0) result.imageGenerations = imageGenerations;
  return result;
}
