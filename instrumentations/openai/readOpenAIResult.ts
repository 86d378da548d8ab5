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

/** Response attributes, usage and output of a parsed (non-streaming) OpenAI result. */
export function readOpenAIResult(endpoint: OpenAIEndpoint, data: unknown): CallResult {
  const attributes: Attributes = {};
  const id = stringField(data, 'id');
  const model = stringField(data, 'model');
  if (id !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = id;
  if (model !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = model;
  const usage = openaiUsage(field(data, 'usage'));
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
      return { attributes, usage, output: field(data, 'output') };
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
