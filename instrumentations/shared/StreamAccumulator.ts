import type { Attributes } from '@opentelemetry/api';
import type { TokenUsage } from '../../src/core/TokenUsage.js';

/**
 * Collects what a provider's stream says about a call, chunk by chunk. Pure: no span,
 * no SDK; one implementation per stream format.
 */
export interface StreamAccumulator<Chunk> {
  /** Takes one chunk (already received, in order). Never throws on unexpected shapes. */
  add(chunk: Chunk): void;
  /** True for a chunk tollgate asked for and the caller did not (OpenAI's usage-only final chunk). */
  isInjected(chunk: Chunk): boolean;
  /** The usage the provider reported, once it has (complete usage only). */
  reportedUsage(): TokenUsage | undefined;
  /** Usage so far: what was reported, else `estimatedInput` and the output tokens counted from the chunks. */
  runningUsage(estimatedInput: number): TokenUsage;
  /** Response attributes seen so far: id, model, finish reasons. */
  attributes(): Attributes;
  /** The response model, once known. */
  responseModel(): string | undefined;
  /** Text received so far (for content capture). */
  outputText(): string;
}
