import type { Nanos } from '../core/money.js';
import { usdToNanos } from '../core/money.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { METADATA_DECISION, METADATA_ERROR_TYPE, METADATA_REQUESTED_MODEL } from '../metrics/UsageKinds.js';
import type { CostBreakdown } from '../pricing/types.js';
import { billedUnitMetadata } from './billedUnits.js';
import type { CallPricing } from './CallPricing.js';
import type { Admission, CostSource, FinishedCall, PriceBasis, SettledCall } from './CallTypes.js';

/** Record metadata: how the cost was found when it was not computed from reported usage (`estimated` | `ceiling`). */
export const METADATA_COST_SOURCE = 'costSource';
/** Record metadata: true when a call the engine denied was sent anyway (another library bypassed the guard). */
export const METADATA_BYPASSED = 'bypassed';

/**
 * Prices a finished call and builds its usage record: the one pure record builder shared by
 * the call driver and the span processor. The cost is the provider's own when it reported one,
 * else the usage priced with the first priced model among the response model, the model sent
 * and the model asked for (the record is labelled with the model sent); an unpriced model is charged at the ceiling when a cap applies
 * (`enforced`), else $0. A call that went through without usage is charged its admission's
 * worst case (source 'estimated'), never $0.
 */
export function accountCall(
  admission: Admission | undefined,
  call: FinishedCall,
  now: number,
  pricing: CallPricing,
  enforced: (ctx: UsageRecord) => boolean,
): SettledCall {
  const requested = admission?.requestedModel ?? call.model;
  const sent = admission?.model ?? call.model;
  let usage = call.status === 'denied' ? undefined : call.usage;
  let usageSource = usage === undefined ? 'none' : call.usageSource;
  if (usage === undefined && admission !== undefined && call.status !== 'denied' && call.status !== 'error') {
    usage = { input: admission.inputTokens, output: admission.outputTokens };
    usageSource = 'estimated';
  }
  const model = pickModel(pricing, call.provider, [call.responseModel, sent, requested]);
  // One model label for every outcome (allowed, denied, fallback): the model sent, which denied
  // calls know too; the response model (often a dated snapshot) prices the call and stays on the span.
  const record = buildRecord(call, sent !== '' ? sent : model, usage, now);
  let cost: CostBreakdown | undefined;
  let costNanos: Nanos = 0;
  let costSource: CostSource = 'none';
  let priceSource = 'none';
  if (call.providerCostUsd !== undefined && call.status !== 'denied') {
    costNanos = usdToNanos(call.providerCostUsd);
    costSource = 'provider';
    priceSource = 'provider';
  } else if (usage !== undefined) {
    const basis = basisFor(pricing, admission, call.provider, model, () => enforced(record));
    cost = pricing.cost(basis, usage, model, call.provider);
    costNanos = cost.totalNanos;
    costSource = usageSource === 'estimated' ? 'estimated' : basis === 'ceiling' ? 'ceiling' : basis === 'unpriced' ? 'unpriced' : 'computed';
    priceSource = cost.model.source;
  }
  record.costNanos = costNanos;
  const metadata: Record<string, string | number | boolean> = { ...call.meta, ...call.metadata };
  if (admission !== undefined && admission.decision === 'fallback') metadata[METADATA_REQUESTED_MODEL] = admission.requestedModel;
  if (admission !== undefined && (admission.decision === 'warn' || admission.decision === 'fallback')) metadata[METADATA_DECISION] = admission.decision;
  if (call.errorType !== undefined) metadata[METADATA_ERROR_TYPE] = call.errorType;
  if (costSource === 'estimated' || costSource === 'ceiling') metadata[METADATA_COST_SOURCE] = costSource;
  if (call.bypassed === true) metadata[METADATA_BYPASSED] = true;
  Object.assign(metadata, billedUnitMetadata(usage, cost));
  if (Object.keys(metadata).length > 0) record.metadata = metadata;
  const reservedNanos = admission?.reservedNanos ?? 0;
  const settled: SettledCall = {
    record,
    costSource,
    priceSource,
    reservedNanos,
    shortfallNanos: reservedNanos > 0 ? Math.max(0, costNanos - reservedNanos) : 0,
  };
  if (cost !== undefined) settled.cost = cost;
  if (call.durationSeconds !== undefined) settled.durationSeconds = call.durationSeconds;
  if (call.stream !== undefined) settled.stream = call.stream;
  if (call.clientMetricsElsewhere === true) settled.clientMetricsElsewhere = true;
  return settled;
}

/** The first of `candidates` that has a price, else the first given. */
function pickModel(pricing: CallPricing, provider: string, candidates: readonly (string | undefined)[]): string {
  const given = candidates.filter((m): m is string => m !== undefined && m !== '');
  return given.find((m) => pricing.isPriced(m, provider)) ?? given[0] ?? 'unknown';
}

function basisFor(pricing: CallPricing, admission: Admission | undefined, provider: string, model: string, enforced: () => boolean): PriceBasis {
  if (pricing.isPriced(model, provider)) return 'known';
  if (admission?.price === 'ceiling') return 'ceiling';
  if (admission !== undefined) return 'unpriced';
  try {
    return pricing.basis(provider, model, enforced());
  } catch {
    // Refusal policies do not apply after the fact: a call that ran is charged at the ceiling.
    return 'ceiling';
  }
}

/** The usage record of a finished call (cost filled in by the caller). */
function buildRecord(call: FinishedCall, model: string, usage: TokenUsage | undefined, now: number): UsageRecord {
  const record: UsageRecord = {
    id: call.id,
    time: call.time ?? now,
    provider: call.provider,
    model,
    operation: call.operation ?? 'chat',
    inputTokens: usage?.input ?? 0,
    outputTokens: usage?.output ?? 0,
    cacheReadTokens: usage?.cacheRead ?? 0,
    cacheWriteTokens: usage?.cacheWrite ?? 0,
    reasoningTokens: usage?.reasoning ?? 0,
    costNanos: 0,
    status: call.status,
  };
  if (call.traceId !== undefined) record.traceId = call.traceId;
  if (call.spanId !== undefined) record.spanId = call.spanId;
  if (call.responseId !== undefined) record.requestId = call.responseId;
  if (call.task !== undefined) record.task = call.task;
  if (call.session !== undefined) record.session = call.session;
  if (call.agent !== undefined) record.agent = call.agent;
  if (call.user !== undefined) record.user = call.user;
  if (call.team !== undefined) record.team = call.team;
  if (call.apiKeyHash !== undefined) record.apiKeyHash = call.apiKeyHash;
  if (call.tags !== undefined && call.tags.length > 0) record.tags = [...call.tags];
  return record;
}
