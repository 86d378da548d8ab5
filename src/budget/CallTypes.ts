import type { Nanos } from '../core/money.js';
import type { StreamTiming } from '../core/StreamTiming.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import type { UsageRecord, UsageStatus } from '../core/UsageRecord.js';
import type { Bucket } from '../ledger/Ledger.js';
import type { CostBreakdown } from '../pricing/types.js';
import type { AppliedBudget } from './budgetBucket.js';

/** Who a call is for, and its ids. */
export interface CallContext {
  /** Unique per call (the span id): the reservation id and the usage record id. */
  id: string;
  provider: string;
  /** The model the caller asked for. */
  model: string;
  /** GenAI operation: chat, text_completion, generate_content, embeddings. Default chat. */
  operation?: string;
  task?: string;
  session?: string;
  agent?: string;
  user?: string;
  team?: string;
  /** The API key's hash (apiKeyHash); never the key. */
  apiKeyHash?: string;
  tags?: readonly string[];
  /** The caller's free metadata keys (stored in the record's metadata). */
  meta?: Readonly<Record<string, string>>;
  traceId?: string;
  spanId?: string;
}

/** A call as it is about to be sent: what the engine decides on. Plain data, no callbacks. */
export interface CallRequest extends CallContext {
  /** Input tokens as the estimator counted them (the engine applies its learned correction and margin). */
  inputTokens: number;
  /**
   * The output limit the caller set (max_tokens and its kin). Undefined: none was set, and the
   * engine chooses one that the reservation covers (`Admission.outputLimit`), which the driver
   * then sets on the request so the provider stops there. Embeddings: 0.
   */
  maxOutputTokens?: number;
  /** false when no output limit can be put on the request (then the full default is reserved). Default true. */
  outputLimitSettable?: boolean;
}

/** How a call is priced: from price data, at the ceiling price (an unpriced model under a cap), or not at all. */
export type PriceBasis = 'known' | 'ceiling' | 'unpriced';

/** A call the engine let through. */
export interface Admission {
  /** The call id (= reservation id = usage record id). */
  id: string;
  provider: string;
  /** allow: fits; warn: over a warn budget, allowed; fallback: send with `model` instead of `requestedModel`. */
  decision: 'allow' | 'warn' | 'fallback';
  /** The model to send the call with. */
  model: string;
  requestedModel: string;
  /** Reserved in the ledger (the worst case for `model`); 0 when no ledger budget applies or the store was down. */
  reservedNanos: Nanos;
  /** The worst case the call may cost (what the reservation, and any request budget, allow for). */
  estimateNanos: Nanos;
  /** The ledger counters the call is charged to on settle. */
  buckets: Bucket[];
  /** Input tokens the reservation assumed (the estimate after correction and margin). */
  inputTokens: number;
  /** The estimator's raw count, before correction (what shortfall learning compares the reported input with). */
  estimatedInputTokens: number;
  /** Output tokens the reservation covers. */
  outputTokens: number;
  /** Set when the caller gave no output limit and a deny cap applies: the limit the driver must put on the request. */
  outputLimit?: number;
  /** How the call is priced (the same basis prices the stream as it runs and the settlement). */
  price: PriceBasis;
  /** Whether a deny/fallback budget applies: only then is a running stream cut at the reservation. */
  enforced: boolean;
  /** The enforced budget with the least room left when the call was admitted (named when a stream is cut). */
  tightest?: AppliedBudget;
  /** The tightest deny/fallback request-scope limit that applies, if any. */
  requestLimitNanos?: Nanos;
}

/** Where a call's token counts came from. */
export type UsageSource = 'reported' | 'estimated' | 'none';

/** What is known about a call when it ends: the input of the one pure record builder. */
export interface FinishedCall extends CallContext {
  /** The model the provider says answered, when it says so. */
  responseModel?: string;
  responseId?: string;
  /** Token counts: reported by the provider, or estimated by tollgate from what it saw. */
  usage?: TokenUsage;
  usageSource: UsageSource;
  /** A cost the provider reported itself (USD); it wins over the computed one. */
  providerCostUsd?: number;
  status: UsageStatus;
  /** The error's class name, for failed calls. */
  errorType?: string;
  /** Epoch ms when the call ended. Default: the engine's clock. */
  time?: number;
  durationSeconds?: number;
  /** Extra record metadata (tool name, contract result...). */
  metadata?: Record<string, string | number | boolean>;
  /** Set when a call the engine denied was sent anyway (another library bypassed the guard). */
  bypassed?: boolean;
  /** When the chunks of a streamed call arrived. */
  stream?: StreamTiming;
  /** Another instrumentation records this call's `gen_ai.client.*` metrics: tollgate records only its cost. */
  clientMetricsElsewhere?: boolean;
}

/** Where a settled call's cost came from. */
export type CostSource = 'provider' | 'computed' | 'ceiling' | 'estimated' | 'unpriced' | 'none';

/** A call priced and ready to settle: the record the ledger stores, and how it was priced. */
export interface SettledCall {
  record: UsageRecord;
  /** The breakdown when the cost was computed from token counts. */
  cost?: CostBreakdown;
  costSource: CostSource;
  /** Where the price came from (genai-prices, override, local, ceiling, provider, unknown, none). */
  priceSource: string;
  /** Cost beyond what was reserved, nano-USD (0 when it fit). */
  shortfallNanos: Nanos;
  /** Reserved for the call (0 without an admission). */
  reservedNanos: Nanos;
  durationSeconds?: number;
  /** When the chunks of a streamed call arrived. */
  stream?: StreamTiming;
  /** Another instrumentation records this call's `gen_ai.client.*` metrics. */
  clientMetricsElsewhere?: boolean;
}

/** A consumer of settled calls (Prometheus, OTel meters, events, logs). Must not throw; if it does, the engine reports it. */
export interface SettledCallSink {
  settled(call: SettledCall): void;
}
