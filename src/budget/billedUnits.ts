import type { Attributes } from '@opentelemetry/api';
import { nanosToUsd } from '../core/money.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import {
  ATTR_TOLLGATE_COST_AUDIO_USD,
  ATTR_TOLLGATE_COST_SERVER_TOOL_USD,
  ATTR_TOLLGATE_COST_UNPRICED_UNITS,
  ATTR_TOLLGATE_SERVICE_TIER,
  ATTR_TOLLGATE_USAGE_CACHE_WRITE_1H_TOKENS,
  ATTR_TOLLGATE_USAGE_FILE_SEARCHES,
  ATTR_TOLLGATE_USAGE_INPUT_AUDIO_TOKENS,
  ATTR_TOLLGATE_USAGE_OUTPUT_AUDIO_TOKENS,
  ATTR_TOLLGATE_USAGE_WEB_SEARCHES,
} from '../semconv/attributes.js';
import type { CostBreakdown } from '../pricing/types.js';

/*
 * The billed units beyond the five token counts of a UsageRecord (1-hour cache writes, audio
 * tokens, server-side tool requests, the service tier) go into the record's metadata under
 * these keys, so every store keeps them without a schema change, and onto the span.
 */

/** Record metadata: part of cacheWriteTokens written to a 1-hour cache. */
export const METADATA_CACHE_WRITE_1H_TOKENS = 'cacheWrite1hTokens';
/** Record metadata: audio input tokens (part of inputTokens). */
export const METADATA_INPUT_AUDIO_TOKENS = 'inputAudioTokens';
/** Record metadata: image input tokens (part of inputTokens). */
export const METADATA_INPUT_IMAGE_TOKENS = 'inputImageTokens';
/** Record metadata: audio output tokens (part of outputTokens). */
export const METADATA_OUTPUT_AUDIO_TOKENS = 'outputAudioTokens';
/** Record metadata: server-side web searches billed. */
export const METADATA_WEB_SEARCHES = 'webSearches';
/** Record metadata: server-side file searches billed. */
export const METADATA_FILE_SEARCHES = 'fileSearches';
/** Record metadata: server-side code interpreter calls (unpriced). */
export const METADATA_CODE_INTERPRETER_CALLS = 'codeInterpreterCalls';
/** Record metadata: server-side image generation calls (unpriced). */
export const METADATA_IMAGE_GENERATIONS = 'imageGenerations';
/** Record metadata: server-side code executions (unpriced). */
export const METADATA_CODE_EXECUTIONS = 'codeExecutions';
/** Record metadata: nano-USD of the server-side tool requests (part of costNanos). */
export const METADATA_SERVER_TOOL_NANOS = 'serverToolNanos';
/** Record metadata: nano-USD of the audio tokens (part of costNanos). */
export const METADATA_AUDIO_NANOS = 'audioNanos';
/** Record metadata: the service tier whose prices applied ('priority', 'flex'). */
export const METADATA_SERVICE_TIER = 'serviceTier';
/** Record metadata: comma-separated billed units the model has no price for (see PricingCatalog). */
export const METADATA_UNPRICED_UNITS = 'unpricedUnits';

/** The metadata entries of the billed units beyond tokens that a call used (none for a plain call). */
export function billedUnitMetadata(usage: TokenUsage | undefined, cost: CostBreakdown | undefined): Record<string, string | number> {
  const m: Record<string, string | number> = {};
  const put = (key: string, value: number | undefined): void => {
    if (value !== undefined && value > 0) m[key] = value;
  };
  put(METADATA_CACHE_WRITE_1H_TOKENS, usage?.cacheWrite1h);
  put(METADATA_INPUT_AUDIO_TOKENS, usage?.inputAudio);
  put(METADATA_INPUT_IMAGE_TOKENS, usage?.inputImage);
  put(METADATA_OUTPUT_AUDIO_TOKENS, usage?.outputAudio);
  put(METADATA_WEB_SEARCHES, usage?.webSearches);
  put(METADATA_FILE_SEARCHES, usage?.fileSearches);
  put(METADATA_CODE_INTERPRETER_CALLS, usage?.codeInterpreterCalls);
  put(METADATA_IMAGE_GENERATIONS, usage?.imageGenerations);
  put(METADATA_CODE_EXECUTIONS, usage?.codeExecutions);
  put(METADATA_SERVER_TOOL_NANOS, cost?.serverToolNanos);
  put(METADATA_AUDIO_NANOS, cost?.audioNanos);
  if (cost?.serviceTier !== undefined) m[METADATA_SERVICE_TIER] = cost.serviceTier;
  if (cost?.unpricedUnits !== undefined && cost.unpricedUnits.length > 0) m[METADATA_UNPRICED_UNITS] = cost.unpricedUnits.join(',');
  return m;
}

/** The span attributes of the billed units beyond tokens: counts and their cost parts. */
export function billedUnitAttributes(metadata: Readonly<Record<string, string | number | boolean>> | undefined): Attributes {
  const attrs: Attributes = {};
  if (metadata === undefined) return attrs;
  const num = (key: string): number | undefined => (typeof metadata[key] === 'number' ? (metadata[key] as number) : undefined);
  const copy = (attr: string, key: string): void => {
    const v = num(key);
    if (v !== undefined) attrs[attr] = v;
  };
  copy(ATTR_TOLLGATE_USAGE_CACHE_WRITE_1H_TOKENS, METADATA_CACHE_WRITE_1H_TOKENS);
  copy(ATTR_TOLLGATE_USAGE_INPUT_AUDIO_TOKENS, METADATA_INPUT_AUDIO_TOKENS);
  copy(ATTR_TOLLGATE_USAGE_OUTPUT_AUDIO_TOKENS, METADATA_OUTPUT_AUDIO_TOKENS);
  copy(ATTR_TOLLGATE_USAGE_WEB_SEARCHES, METADATA_WEB_SEARCHES);
  copy(ATTR_TOLLGATE_USAGE_FILE_SEARCHES, METADATA_FILE_SEARCHES);
  const tools = num(METADATA_SERVER_TOOL_NANOS);
  if (tools !== undefined) attrs[ATTR_TOLLGATE_COST_SERVER_TOOL_USD] = nanosToUsd(tools);
  const audio = num(METADATA_AUDIO_NANOS);
  if (audio !== undefined) attrs[ATTR_TOLLGATE_COST_AUDIO_USD] = nanosToUsd(audio);
  const tier = metadata[METADATA_SERVICE_TIER];
  if (typeof tier === 'string') attrs[ATTR_TOLLGATE_SERVICE_TIER] = tier;
  const unpriced = metadata[METADATA_UNPRICED_UNITS];
  if (typeof unpriced === 'string') attrs[ATTR_TOLLGATE_COST_UNPRICED_UNITS] = unpriced.split(',');
  return attrs;
}
