import type { Attributes } from '@opentelemetry/api';

/** Attribute the Vercel AI SDK writes on every span it makes (`ai.generateText.doGenerate`, `ai.streamText.doStream`...). */
const ATTR_AI_SDK_OPERATION_ID = 'ai.operationId';

/**
 * Whether the fetch guard should throw a refusal from `fetch` rather than answer HTTP 402.
 * The Vercel AI SDK passes an error thrown by `fetch` through unchanged (it is not an
 * `APICallError`, so it is not retried), so its caller gets `BudgetExceededError` itself
 * instead of an `APICallError` with status 402. The OpenAI and Anthropic SDKs would turn a
 * thrown error into a retried connection error: their calls keep the 402.
 */
export function throwsRefusal(attrs: Attributes): boolean {
  return typeof attrs[ATTR_AI_SDK_OPERATION_ID] === 'string';
}
