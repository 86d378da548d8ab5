import type { TokenUsage } from '../../src/core/TokenUsage.js';
import { numberField } from '../../src/core/fields.js';

/**
 * Normalises an Anthropic usage object. Anthropic reports cache tokens outside
 * `input_tokens`; TokenUsage (like the GenAI conventions) counts them inside:
 * input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens,
 * with cacheWrite and cacheRead as its parts. Undefined without `input_tokens`.
 */
export function anthropicUsage(usage: unknown): TokenUsage | undefined {
  const input = numberField(usage, 'input_tokens');
  if (input === undefined) return undefined;
  const cacheWrite = numberField(usage, 'cache_creation_input_tokens');
  const cacheRead = numberField(usage, 'cache_read_input_tokens');
  const result: TokenUsage = {
    input: input + (cacheWrite ?? 0) + (cacheRead ?? 0),
    output: numberField(usage, 'output_tokens') ?? 0,
  };
  if (cacheRead !== undefined) result.cacheRead = cacheRead;
  if (cacheWrite !== undefined) result.cacheWrite = cacheWrite;
  return result;
}
