import type { Attributes } from '@opentelemetry/api';
import type { Attribution, Dimensions } from '../core/attribution.js';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_TOLLGATE_AGENT_ID,
  ATTR_TOLLGATE_API_KEY_HASH,
  ATTR_TOLLGATE_METADATA_PREFIX,
  ATTR_TOLLGATE_TAGS,
  ATTR_TOLLGATE_TEAM_ID,
  ATTR_USER_ID,
  ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS,
  ATTR_TOLLGATE_SESSION_ID,
  ATTR_TOLLGATE_TASK_ID,
} from '../semconv/attributes.js';

/** What is known about a model call before it is sent: what the driver admits and the span starts with. */
export interface CallSpec {
  /** GenAI operation: chat, text_completion, generate_content, embeddings. */
  operation: string;
  provider: string;
  model: string;
  /** The output limit the caller set (undefined: none, and the driver may set one). Embeddings: 0. */
  maxTokens: number | undefined;
  /** What the token estimator reads: messages, prompt, instructions, embedding input. */
  input?: unknown;
  /** An input-token count already known (skips the estimate). */
  inputTokens?: number;
  temperature?: number;
  stream?: boolean;
  /** Extra start attributes (server.address / port, the caller's own). */
  attributes?: Attributes;
  /** Span name. Default `{operation} {model}`. */
  name?: string;
  /** Attribution of this call, laid over the context's (see mergeDimensions). */
  dimensions?: Dimensions;
}

/** Attributes set when a call's span starts (samplers read them; conventions ask for them at start). */
export function requestAttributes(spec: CallSpec, estimatedInputTokens: number | undefined): Attributes {
  const attrs: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: spec.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: spec.provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: spec.model,
  };
  if (spec.maxTokens !== undefined && spec.operation !== 'embeddings') attrs[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = spec.maxTokens;
  if (spec.temperature !== undefined) attrs[ATTR_GEN_AI_REQUEST_TEMPERATURE] = spec.temperature;
  if (spec.stream === true) attrs[ATTR_GEN_AI_REQUEST_STREAM] = true;
  if (estimatedInputTokens !== undefined) attrs[ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS] = estimatedInputTokens;
  return attrs;
}

/** The task / session / agent ids as span attributes (so traces can be filtered by them). */
export function attributionAttributes(attribution: Readonly<Attribution>): Attributes {
  const attrs: Attributes = {};
  if (attribution.task !== undefined) attrs[ATTR_TOLLGATE_TASK_ID] = attribution.task;
  if (attribution.session !== undefined) {
    attrs[ATTR_TOLLGATE_SESSION_ID] = attribution.session;
    attrs[ATTR_GEN_AI_CONVERSATION_ID] = attribution.session;
  }
  if (attribution.agent !== undefined) attrs[ATTR_TOLLGATE_AGENT_ID] = attribution.agent;
  if (attribution.user !== undefined) attrs[ATTR_USER_ID] = attribution.user;
  if (attribution.team !== undefined) attrs[ATTR_TOLLGATE_TEAM_ID] = attribution.team;
  if (attribution.apiKeyHash !== undefined) attrs[ATTR_TOLLGATE_API_KEY_HASH] = attribution.apiKeyHash;
  if (attribution.tags !== undefined) attrs[ATTR_TOLLGATE_TAGS] = [...attribution.tags];
  if (attribution.meta !== undefined) for (const key of Object.keys(attribution.meta)) attrs[ATTR_TOLLGATE_METADATA_PREFIX + key] = attribution.meta[key];
  return attrs;
}
