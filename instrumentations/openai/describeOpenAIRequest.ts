import { GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_EMBEDDINGS } from '../../src/semconv/attributes.js';
import { field, numberField, stringField } from '../../src/core/fields.js';
import type { RequestDescription } from '../shared/RequestDescription.js';

/** The OpenAI endpoints tollgate instruments. */
export type OpenAIEndpoint = 'chat.completions' | 'responses' | 'embeddings';

/** What a request body says before it is sent: model, max tokens, stream, the input to estimate. */
export function describeOpenAIRequest(endpoint: OpenAIEndpoint, body: unknown, official = true): RequestDescription {
  const tools = field(body, 'tools');
  const model = stringField(body, 'model') ?? 'unknown';
  const temperature = numberField(body, 'temperature');
  switch (endpoint) {
    case 'chat.completions':
      return {
        operation: GEN_AI_OPERATION_CHAT,
        provider: 'openai',
        model,
        maxTokens: numberField(body, 'max_completion_tokens') ?? numberField(body, 'max_tokens'),
        temperature,
        stream: field(body, 'stream') === true,
        // Tool schemas are sent as input tokens too.
        input: tools !== undefined ? [field(body, 'messages'), tools] : field(body, 'messages'),
        // OpenAI's own API wants max_completion_tokens (reasoning models refuse max_tokens); compatible servers know max_tokens.
        outputLimitField: official ? 'max_completion_tokens' : 'max_tokens',
      };
    case 'responses': {
      const instructions = field(body, 'instructions');
      const input = field(body, 'input');
      return {
        operation: GEN_AI_OPERATION_CHAT,
        provider: 'openai',
        model,
        maxTokens: numberField(body, 'max_output_tokens'),
        temperature,
        stream: field(body, 'stream') === true,
        input: [instructions, input, tools].filter((part) => part !== undefined && part !== null),
        outputLimitField: 'max_output_tokens',
      };
    }
    case 'embeddings':
      return {
        operation: GEN_AI_OPERATION_EMBEDDINGS,
        provider: 'openai',
        model,
        maxTokens: undefined,
        temperature: undefined,
        stream: false,
        input: field(body, 'input'),
        outputLimitField: undefined,
      };
  }
}

/**
 * The body to send for a streaming chat completion: asks for usage
 * (`stream_options.include_usage`) when the caller did not. `injected` tells whether
 * the usage-only final chunk must be hidden from the caller.
 */
export function withStreamUsage(body: Record<string, unknown>): { body: Record<string, unknown>; injected: boolean } {
  if (body['stream'] !== true) return { body, injected: false };
  const streamOptions = field(body, 'stream_options');
  if (field(streamOptions, 'include_usage') === true) return { body, injected: false };
  const base = streamOptions !== null && typeof streamOptions === 'object' ? streamOptions : {};
  return { body: { ...body, stream_options: { ...base, include_usage: true } }, injected: true };
}
