import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { TokenUsage } from '../core/TokenUsage.js';
import {
  ATTR_AI_SDK_USAGE_CACHE_READ_TOKENS,
  ATTR_AI_SDK_USAGE_CACHE_WRITE_TOKENS,
  ATTR_AI_SDK_USAGE_REASONING_TOKENS,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_LEGACY_GEN_AI_SYSTEM,
  ATTR_LEGACY_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_LEGACY_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_LEGACY_LLM_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_LEGACY_LLM_USAGE_COMPLETION_TOKENS,
  ATTR_LEGACY_LLM_USAGE_PROMPT_TOKENS,
  ATTR_OPENINFERENCE_MODEL_NAME,
  ATTR_OPENINFERENCE_PROVIDER,
  ATTR_OPENINFERENCE_TOKEN_COUNT_COMPLETION,
  ATTR_OPENINFERENCE_TOKEN_COUNT_PROMPT,
  ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS,
  ATTR_TOLLGATE_PROVIDER_COST_USD,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  GEN_AI_OPERATION_GENERATE_CONTENT,
  GEN_AI_OPERATION_INVOKE_AGENT,
  GEN_AI_OPERATION_CREATE_AGENT,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv/attributes.js';
import { inferProvider } from '../pricing/providerNames.js';
import { aiSdkProvider, readAiSdkBilledUnits } from './aiSdkAttributes.js';

/** Operations whose spans are model calls that cost money and are admitted. */
const BILLABLE_OPERATIONS = new Set([
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_TEXT_COMPLETION,
  GEN_AI_OPERATION_GENERATE_CONTENT,
  GEN_AI_OPERATION_EMBEDDINGS,
]);
const NON_BILLABLE_OPERATIONS = new Set([
  GEN_AI_OPERATION_EXECUTE_TOOL,
  GEN_AI_OPERATION_INVOKE_AGENT,
  GEN_AI_OPERATION_CREATE_AGENT,
]);

/** What the processor needs from a span's attributes, whichever instrumentation wrote them. */
export interface CallAttributes {
  operation: string;
  provider: string;
  requestModel: string | undefined;
  responseModel: string | undefined;
  responseId: string | undefined;
  maxTokens: number | undefined;
  estimatedInputTokens: number | undefined;
  /** Undefined when the span carries no token counts at all. */
  usage: TokenUsage | undefined;
  providerCostUsd: number | undefined;
}

/** A non-empty string attribute, or undefined. */
export function stringAttr(v: AttributeValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: AttributeValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) >= 0) return Math.round(Number(v));
  return undefined;
}

/**
 * Is this span a model call that costs money? True for the GenAI operations chat,
 * text_completion, generate_content and embeddings, and for spans that carry a
 * request model with no (or an unknown) operation.
 */
export function isBillable(attrs: Attributes): boolean {
  const op = stringAttr(attrs[ATTR_GEN_AI_OPERATION_NAME]);
  if (op !== undefined) {
    if (BILLABLE_OPERATIONS.has(op)) return true;
    if (NON_BILLABLE_OPERATIONS.has(op)) return false;
  }
  return stringAttr(attrs[ATTR_GEN_AI_REQUEST_MODEL] ?? attrs[ATTR_OPENINFERENCE_MODEL_NAME]) !== undefined;
}

/** The request side of a call, as set when its span starts (what admission needs). */
export interface RequestAttributes {
  operation: string;
  provider: string;
  requestModel: string | undefined;
  maxTokens: number | undefined;
  estimatedInputTokens: number | undefined;
}

/**
 * The request attributes of a span: current semantic conventions first, then the legacy
 * names other instrumentations still emit (gen_ai.system, OpenInference llm.*). Written into
 * `into` when given (and returned), else into a new object. Never throws.
 */
export function readRequestAttributes(attrs: Attributes, into?: RequestAttributes): RequestAttributes {
  const requestModel = stringAttr(attrs[ATTR_GEN_AI_REQUEST_MODEL] ?? attrs[ATTR_OPENINFERENCE_MODEL_NAME]);
  // The Vercel AI SDK 6 writes its provider id (`anthropic.messages`) as gen_ai.system: read as the provider it names.
  const namedProvider =
    stringAttr(attrs[ATTR_GEN_AI_PROVIDER_NAME]) ?? aiSdkProvider(attrs) ?? stringAttr(attrs[ATTR_LEGACY_GEN_AI_SYSTEM] ?? attrs[ATTR_OPENINFERENCE_PROVIDER]);
  const operation = stringAttr(attrs[ATTR_GEN_AI_OPERATION_NAME]) ?? GEN_AI_OPERATION_CHAT;
  const provider = namedProvider ?? inferProvider(stringAttr(attrs[ATTR_GEN_AI_RESPONSE_MODEL]) ?? requestModel);
  const maxTokens = num(attrs[ATTR_GEN_AI_REQUEST_MAX_TOKENS]);
  const estimatedInputTokens = num(attrs[ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS]);
  if (into === undefined) return { operation, provider, requestModel, maxTokens, estimatedInputTokens };
  into.operation = operation;
  into.provider = provider;
  into.requestModel = requestModel;
  into.maxTokens = maxTokens;
  into.estimatedInputTokens = estimatedInputTokens;
  return into;
}

/**
 * The token counts a span reports (semconv, then gen_ai.usage.prompt_tokens, llm.usage.*,
 * llm.token_count.*, the Vercel AI SDK's ai.usage.*TokenDetails and Anthropic provider
 * metadata), or undefined when it carries none. Parts never exceed their whole.
 */
export function readUsageAttributes(attrs: Attributes): TokenUsage | undefined {
  const input = num(
    attrs[ATTR_GEN_AI_USAGE_INPUT_TOKENS] ??
      attrs[ATTR_LEGACY_GEN_AI_USAGE_PROMPT_TOKENS] ??
      attrs[ATTR_LEGACY_LLM_USAGE_PROMPT_TOKENS] ??
      attrs[ATTR_OPENINFERENCE_TOKEN_COUNT_PROMPT],
  );
  const output = num(
    attrs[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] ??
      attrs[ATTR_LEGACY_GEN_AI_USAGE_COMPLETION_TOKENS] ??
      attrs[ATTR_LEGACY_LLM_USAGE_COMPLETION_TOKENS] ??
      attrs[ATTR_OPENINFERENCE_TOKEN_COUNT_COMPLETION],
  );
  if (input === undefined && output === undefined) return undefined;
  const inputTokens = input ?? 0;
  const outputTokens = output ?? 0;
  // Parts can never exceed their whole: a malformed span must not produce a negative uncached count.
  const cacheRead = Math.min(
    num(attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] ?? attrs[ATTR_LEGACY_LLM_USAGE_CACHE_READ_INPUT_TOKENS] ?? attrs[ATTR_AI_SDK_USAGE_CACHE_READ_TOKENS]) ?? 0,
    inputTokens,
  );
  const cacheWrite = Math.min(num(attrs[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] ?? attrs[ATTR_AI_SDK_USAGE_CACHE_WRITE_TOKENS]) ?? 0, inputTokens - cacheRead);
  const reasoning = Math.min(num(attrs[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] ?? attrs[ATTR_AI_SDK_USAGE_REASONING_TOKENS]) ?? 0, outputTokens);
  const usage: TokenUsage = { input: inputTokens, output: outputTokens, cacheRead, cacheWrite, reasoning };
  const { cacheWrite1h, webSearches, codeExecutions } = readAiSdkBilledUnits(attrs);
  if (cacheWrite1h !== undefined && cacheWrite > 0) usage.cacheWrite1h = Math.min(cacheWrite1h, cacheWrite);
  if (webSearches !== undefined) usage.webSearches = webSearches;
  if (codeExecutions !== undefined) usage.codeExecutions = codeExecutions;
  return usage;
}

/** A cost the provider reported itself (USD), when the span carries a valid one. */
export function readProviderCostUsd(attrs: Attributes): number | undefined {
  const cost = attrs[ATTR_TOLLGATE_PROVIDER_COST_USD];
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

/**
 * Reads a span's GenAI attributes: current semantic conventions first, then the
 * legacy names other instrumentations still emit (gen_ai.system, gen_ai.usage.prompt_tokens,
 * llm.usage.*, OpenInference llm.token_count.*). Pure; never throws.
 */
export function readCallAttributes(attrs: Attributes): CallAttributes {
  const request = readRequestAttributes(attrs);
  return {
    operation: request.operation,
    provider: request.provider,
    requestModel: request.requestModel,
    responseModel: stringAttr(attrs[ATTR_GEN_AI_RESPONSE_MODEL]),
    responseId: stringAttr(attrs[ATTR_GEN_AI_RESPONSE_ID]),
    maxTokens: request.maxTokens,
    estimatedInputTokens: request.estimatedInputTokens,
    usage: readUsageAttributes(attrs),
    providerCostUsd: readProviderCostUsd(attrs),
  };
}
