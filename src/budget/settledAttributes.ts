import type { Attributes } from '@opentelemetry/api';
import { nanosToUsd } from '../core/money.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import {
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_COST_AMOUNT,
  ATTR_GEN_AI_USAGE_COST_CURRENCY,
  ATTR_GEN_AI_USAGE_COST_SOURCE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_TOLLGATE_COST_CACHE_READ_USD,
  ATTR_TOLLGATE_COST_CACHE_WRITE_USD,
  ATTR_TOLLGATE_COST_INPUT_USD,
  ATTR_TOLLGATE_COST_NANOS,
  ATTR_TOLLGATE_COST_OUTPUT_USD,
  ATTR_TOLLGATE_COST_REASONING_USD,
  ATTR_TOLLGATE_DECISION,
  ATTR_TOLLGATE_FALLBACK_MODEL,
  ATTR_TOLLGATE_OUTPUT_LIMIT_SET,
  ATTR_TOLLGATE_PRICE_SOURCE,
  ATTR_TOLLGATE_REQUESTED_MODEL,
  ATTR_TOLLGATE_RESERVED_USD,
  ATTR_TOLLGATE_SHORTFALL_USD,
} from '../semconv/attributes.js';
import { billedUnitAttributes } from './billedUnits.js';
import type { Admission, SettledCall } from './CallTypes.js';

/** What an admission says on its span: decision, reservation, fallback, an output limit set for the caller. */
export function admissionAttributes(admission: Admission): Attributes {
  const attrs: Attributes = {
    [ATTR_TOLLGATE_DECISION]: admission.decision,
    [ATTR_TOLLGATE_RESERVED_USD]: nanosToUsd(admission.reservedNanos),
  };
  if (admission.decision === 'fallback') {
    attrs[ATTR_TOLLGATE_REQUESTED_MODEL] = admission.requestedModel;
    attrs[ATTR_TOLLGATE_FALLBACK_MODEL] = admission.model;
  }
  if (admission.outputLimit !== undefined) attrs[ATTR_TOLLGATE_OUTPUT_LIMIT_SET] = admission.outputLimit;
  return attrs;
}

/**
 * What a settled call says on its span: `gen_ai.usage.cost` (what OpenLIT and Langfuse read), the
 * proposed `gen_ai.usage.cost.amount/currency/source` (source: provider, computed or estimated),
 * and tollgate's breakdown. Source 'estimated' marks a cost made from tollgate's estimates because
 * the provider reported no usage.
 */
export function settledAttributes(settled: SettledCall): Attributes {
  const usd = nanosToUsd(settled.record.costNanos);
  const attrs: Attributes = {
    [ATTR_GEN_AI_USAGE_COST]: usd,
    [ATTR_GEN_AI_USAGE_COST_AMOUNT]: usd,
    [ATTR_GEN_AI_USAGE_COST_CURRENCY]: 'USD',
    [ATTR_GEN_AI_USAGE_COST_SOURCE]: settled.costSource === 'provider' ? 'provider' : settled.costSource === 'estimated' ? 'estimated' : 'computed',
    [ATTR_TOLLGATE_COST_NANOS]: settled.record.costNanos,
    [ATTR_TOLLGATE_PRICE_SOURCE]: settled.priceSource,
  };
  const b = settled.cost;
  if (b !== undefined) {
    attrs[ATTR_TOLLGATE_COST_INPUT_USD] = nanosToUsd(b.inputNanos);
    attrs[ATTR_TOLLGATE_COST_OUTPUT_USD] = nanosToUsd(b.outputNanos);
    attrs[ATTR_TOLLGATE_COST_CACHE_READ_USD] = nanosToUsd(b.cacheReadNanos);
    attrs[ATTR_TOLLGATE_COST_CACHE_WRITE_USD] = nanosToUsd(b.cacheWriteNanos);
    if (b.reasoningNanos > 0) attrs[ATTR_TOLLGATE_COST_REASONING_USD] = nanosToUsd(b.reasoningNanos);
  }
  Object.assign(attrs, billedUnitAttributes(settled.record.metadata));
  if (settled.shortfallNanos > 0) attrs[ATTR_TOLLGATE_SHORTFALL_USD] = nanosToUsd(settled.shortfallNanos);
  return attrs;
}

/** The GenAI usage attributes of a usage vector (optional parts only when present). */
export function usageAttributes(usage: TokenUsage): Attributes {
  const attrs: Attributes = {
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.input,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.output,
  };
  if (usage.cacheRead !== undefined) attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheRead;
  if (usage.cacheWrite !== undefined) attrs[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWrite;
  if (usage.reasoning !== undefined) attrs[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning;
  return attrs;
}
