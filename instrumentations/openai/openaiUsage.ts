import type { TokenUsage } from '../../src/core/TokenUsage.js';
import { field, numberField } from '../../src/core/fields.js';

/**
 * Normalises an OpenAI usage object: chat/embeddings (`prompt_tokens`,
 * `completion_tokens`, `prompt_tokens_details.cached_tokens`,
 * `completion_tokens_details.reasoning_tokens`) or responses (`input_tokens`,
 * `output_tokens`, `input_tokens_details.cached_tokens`,
 * `output_tokens_details.reasoning_tokens`). OpenAI's input already includes cached
 * tokens and its output includes reasoning, as in TokenUsage. Undefined when absent.
 */
export function openaiUsage(usage: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const input = numberField(usage, 'prompt_tokens') ?? numberField(usage, 'input_tokens');
  if (input === undefined) return undefined;
  const output = numberField(usage, 'completion_tokens') ?? numberField(usage, 'output_tokens') ?? 0;
  const cacheRead =
    numberField(field(usage, 'prompt_tokens_details'), 'cached_tokens') ??
    numberField(field(usage, 'input_tokens_details'), 'cached_tokens');
  const reasoning =
    numberField(field(usage, 'completion_tokens_details'), 'reasoning_tokens') ??
    numberField(field(usage, 'output_tokens_details'), 'reasoning_tokens');
  const result: TokenUsage = { input, output };
  if (cacheRead !== undefined) result.cacheRead = cacheRead;
  if (reasoning !== undefined) result.reasoning = reasoning;
  return result;
}
