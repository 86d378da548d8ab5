import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS,
} from '../../src/semconv/attributes.js';

/** What the instrumentations know about a request before it is sent. */
export interface RequestDescription {
  /** GenAI operation: chat, embeddings. */
  operation: string;
  provider: string;
  model: string;
  maxTokens: number | undefined;
  temperature: number | undefined;
  stream: boolean;
  /** What the token estimator reads: messages, prompt, instructions, embedding input. */
  input: unknown;
}

/** The span name per GenAI conventions: `{operation} {model}`. */
export function spanName(request: RequestDescription): string {
  return `${request.operation} ${request.model}`;
}

/** Attributes set when the span starts (the processor admits on them; samplers read them). */
export function requestAttributes(request: RequestDescription, estimatedInputTokens: number | undefined): Attributes {
  const attrs: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: request.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: request.model,
  };
  if (request.maxTokens !== undefined) attrs[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = request.maxTokens;
  if (request.temperature !== undefined) attrs[ATTR_GEN_AI_REQUEST_TEMPERATURE] = request.temperature;
  if (request.stream) attrs[ATTR_GEN_AI_REQUEST_STREAM] = true;
  if (estimatedInputTokens !== undefined) attrs[ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS] = estimatedInputTokens;
  return attrs;
}

/** Reads a field of an unknown value. */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** A finite number or undefined. */
export function numberField(value: unknown, name: string): number | undefined {
  const v = field(value, name);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string or undefined. */
export function stringField(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === 'string' ? v : undefined;
}
