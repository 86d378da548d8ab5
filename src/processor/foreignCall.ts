import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { SdkReadableSpan as ReadableSpan } from '../core/SdkSpan.js';
import type { Attribution } from '../core/attribution.js';
import { field, numberField, stringField } from '../core/fields.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { CallRequest, FinishedCall } from '../budget/CallTypes.js';
import { ATTR_ERROR_TYPE, ATTR_GEN_AI_RESPONSE_ID, ATTR_GEN_AI_RESPONSE_MODEL, ATTR_TOLLGATE_STATUS } from '../semconv/attributes.js';
import { readProviderCostUsd, readRequestAttributes, readUsageAttributes, stringAttr } from './readCallAttributes.js';

/** What a request body of another instrumentation's call says before it is sent. */
export interface BodyDescription {
  model: string | undefined;
  /** The output limit the caller set, if any. */
  maxTokens: number | undefined;
  /** The body field an output limit goes in (undefined: the request has no output, or tollgate does not know where). */
  outputLimitField: string | undefined;
  /** What the token estimator reads (messages, system, instructions, tools, input, prompt). */
  input: unknown;
}

/**
 * Reads an OpenAI (chat completions, responses, embeddings, completions) or Anthropic
 * (messages) request body. `official` tells an OpenAI host from compatible servers (they
 * name the output limit differently).
 */
export function describeBody(body: unknown, operation: string, provider: string, official: boolean): BodyDescription {
  const parts = ['system', 'instructions', 'messages', 'input', 'prompt', 'tools'].map((name) => field(body, name)).filter((p) => p !== undefined && p !== null);
  const maxTokens = numberField(body, 'max_completion_tokens') ?? numberField(body, 'max_tokens') ?? numberField(body, 'max_output_tokens');
  let outputLimitField: string | undefined;
  if (operation !== 'embeddings') {
    if (provider === 'anthropic') outputLimitField = 'max_tokens';
    else if (field(body, 'messages') !== undefined) outputLimitField = official ? 'max_completion_tokens' : 'max_tokens';
    else if (field(body, 'input') !== undefined) outputLimitField = 'max_output_tokens';
    else if (field(body, 'prompt') !== undefined) outputLimitField = 'max_tokens';
  }
  return { model: stringField(body, 'model'), maxTokens, outputLimitField, input: parts.length === 1 ? parts[0] : parts };
}

/** The admission request for another instrumentation's call: its span's attributes, with what the body says on top. */
export function requestOf(
  span: ReadableSpan,
  attribution: Readonly<Attribution>,
  body: BodyDescription | undefined,
  inputTokens: number,
): CallRequest {
  const attrs = readRequestAttributes(span.attributes);
  const sc = span.spanContext();
  const maxTokens = body?.maxTokens ?? attrs.maxTokens;
  const req: CallRequest = {
    id: sc.spanId,
    traceId: sc.traceId,
    spanId: sc.spanId,
    provider: attrs.provider,
    model: body?.model ?? attrs.requestModel ?? 'unknown',
    operation: attrs.operation,
    inputTokens: Math.max(inputTokens, attrs.estimatedInputTokens ?? 0),
    ...attribution,
  };
  if (attrs.operation === 'embeddings') req.maxOutputTokens = 0;
  else if (maxTokens !== undefined) req.maxOutputTokens = maxTokens;
  // Without a known field, a limit cannot be put on the request: reserve the default worst case, never a smaller chosen share.
  else if (body?.outputLimitField === undefined) req.outputLimitSettable = false;
  return req;
}

/** What another instrumentation's span says about its call when it ends. */
export function finishedOf(span: ReadableSpan, request: CallRequest, estimated: TokenUsage | undefined): FinishedCall {
  const attrs: Attributes = span.attributes;
  const reported = readUsageAttributes(attrs);
  const usage = reported ?? estimated;
  const errored = span.status.code === SpanStatusCode.ERROR;
  const call: FinishedCall = {
    ...request,
    usageSource: reported !== undefined ? 'reported' : usage !== undefined ? 'estimated' : 'none',
    status: attrs[ATTR_TOLLGATE_STATUS] === 'cost_exceeded' ? 'cost_exceeded' : errored ? 'error' : 'ok',
  };
  if (usage !== undefined) call.usage = usage;
  const responseModel = stringAttr(attrs[ATTR_GEN_AI_RESPONSE_MODEL]);
  if (responseModel !== undefined) call.responseModel = responseModel;
  const responseId = stringAttr(attrs[ATTR_GEN_AI_RESPONSE_ID]);
  if (responseId !== undefined) call.responseId = responseId;
  const providerCost = readProviderCostUsd(attrs);
  if (providerCost !== undefined) call.providerCostUsd = providerCost;
  const errorType = stringAttr(attrs[ATTR_ERROR_TYPE]);
  if (errorType !== undefined) call.errorType = errorType;
  return call;
}
