import { SamplingDecision, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import type { SdkSampler as Sampler, SdkSamplingResult as SamplingResult } from '../core/SdkSpan.js';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_OPENINFERENCE_MODEL_NAME,
  ATTR_TOLLGATE_CONTRACT_NAME,
  ATTR_TOLLGATE_MEMORY_OPERATION,
  ATTR_TOLLGATE_WRAPPER,
} from '../semconv/attributes.js';

/**
 * Wraps the host's sampler so that sampling never switches budgets off. A span that a
 * sampler drops (NOT_RECORD) never reaches any SpanProcessor; for GenAI and tollgate
 * spans this sampler upgrades that decision to RECORD, so the BudgetSpanProcessor admits,
 * prices and settles them, while exporters (which only take sampled spans) still follow the
 * base sampler's decision. Other spans keep the base decision untouched.
 */
export class TollgateSampler implements Sampler {
  constructor(private readonly base: Sampler) {}

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const result = this.base.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (result.decision !== SamplingDecision.NOT_RECORD || !mustRecord(attributes)) return result;
    return { ...result, decision: SamplingDecision.RECORD };
  }

  toString(): string {
    return `TollgateSampler{${this.base.toString()}}`;
  }
}

/** `tollgateSampler(new TraceIdRatioBasedSampler(0.01))`: see TollgateSampler. */
export function tollgateSampler(base: Sampler): Sampler {
  return new TollgateSampler(base);
}

function mustRecord(attributes: Attributes): boolean {
  return (
    attributes[ATTR_GEN_AI_OPERATION_NAME] !== undefined ||
    attributes[ATTR_GEN_AI_REQUEST_MODEL] !== undefined ||
    attributes[ATTR_OPENINFERENCE_MODEL_NAME] !== undefined ||
    attributes[ATTR_TOLLGATE_WRAPPER] !== undefined ||
    attributes[ATTR_TOLLGATE_MEMORY_OPERATION] !== undefined ||
    attributes[ATTR_TOLLGATE_CONTRACT_NAME] !== undefined
  );
}
