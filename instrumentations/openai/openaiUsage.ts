import type { TokenUsage } from '../../src/core/TokenUsage.js';
import { field, numberField } from '../../src/core/fields.js';

/**
 * Normalises an OpenAI usage object: chat/embeddings (`prompt_tokens`,
 * `completion_tokens`, `prompt_tokens_details.cached_tokens`,
 * `completion_tokens_details.reasoning_tokens`) or responses (`input_tokens`,
 * `output_tokens`, `input_tokens_details.cached_tokens`,
 * `output_tokens_details.reasoning_tokens`). OpenAI's input already includes cached
 * tokens and its output includes reasoning, as in TokenUsage. Also read: `audio_tokens` in
 * both details objects (priced at audio rates), `image_tokens` in the input details (at the
 * image rate where the price data has one), `cache_write_tokens` in the input details
 * (compatible providers that bill cache writes), and a `total_tokens` above input + output
 * (Gemini's OpenAI-compatible endpoint leaves thinking tokens out of `completion_tokens`):
 * the difference is counted as reasoning output. Undefined when absent.
 */
export function openaiUsage(usage: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const input = numberField(usage, 'prompt_tokens') ?? numberField(usage, 'input_tokens');
  if (input === undefined) return undefined;
  const inputDetails = field(usage, 'prompt_tokens_details') ?? field(usage, 'input_tokens_details');
  const outputDetails = field(usage, 'completion_tokens_details') ?? field(usage, 'output_tokens_details');
  let output = numberField(usage, 'completion_tokens') ?? numberField(usage, 'output_tokens') ?? 0;
  let reasoning = numberField(outputDetails, 'reasoning_tokens');
  const total = numberField(usage, 'total_tokens');
  if (total !== undefined && total > input + output) {
    const unreported = total - input - output;
    output += unreported;
    reasoning = Math.max(reasoning ?? 0, unreported);
  }
  const cacheRead = clamp(numberField(inputDetails, 'cached_tokens'), input);
  const cacheWrite = clamp(numberField(inputDetails, 'cache_write_tokens'), input - (cacheRead ?? 0));
  const inputAudio = clamp(numberField(inputDetails, 'audio_tokens'), input - (cacheRead ?? 0) - (cacheWrite ?? 0));
  const inputImage = clamp(numberField(inputDetails, 'image_tokens'), input - (cacheRead ?? 0) - (cacheWrite ?? 0) - (inputAudio ?? 0));
  reasoning = clamp(reasoning, output);
  const outputAudio = clamp(numberField(outputDetails, 'audio_tokens'), output - (reasoning ?? 0));
  const result: TokenUsage = { input, output };
  if (cacheRead !== undefined) result.cacheRead = cacheRead;
  if (cacheWrite !== undefined && cacheWrite > 0) result.cacheWrite = cacheWrite;
  if (reasoning !== undefined) result.reasoning = reasoning;
  if (inputAudio !== undefined && inputAudio > 0) result.inputAudio = inputAudio;
  if (inputImage !== undefined && inputImage > 0) result.inputImage = inputImage;
  if (outputAudio !== undefined && outputAudio > 0) result.outputAudio = outputAudio;
  return result;
}

/** A part count no larger than what it is part of (providers' details can overlap). */
function clamp(value: number | undefined, max: number): number | undefined {
  return value === undefined ? undefined : Math.max(0, Math.min(value, max));
}
