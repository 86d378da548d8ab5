import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../../src/semconv/attributes.js';
import type { CallResult } from '../shared/gatedCall.js';
import { field, stringField } from '../../src/core/fields.js';
import { anthropicUsage } from './anthropicUsage.js';

/** Response attributes, usage and output of a parsed (non-streaming) Anthropic Message. */
export function readAnthropicResult(message: unknown): CallResult {
  const attributes: Attributes = {};
  const id = stringField(message, 'id');
  const model = stringField(message, 'model');
  const stop = stringField(message, 'stop_reason');
  if (id !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = id;
  if (model !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = model;
  if (stop !== undefined) attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [stop];
  return { attributes, usage: anthropicUsage(field(message, 'usage')), output: field(message, 'content') };
}
