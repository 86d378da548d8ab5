import type { Nanos } from '../core/money.js';

export type { TokenUsage } from '../core/TokenUsage.js';

/** A model after resolution (provider + id matched once, then cached). */
export interface ResolvedModel {
  /** Provider id as priced, e.g. 'openai', 'anthropic'. */
  provider: string;
  /** Canonical model id in the price data, e.g. 'claude-sonnet-4-20250514' → 'claude-sonnet-4'. */
  model: string;
  /** Where the price came from ('ceiling': an unpriced model charged at PricingCatalog.ceilingCost). */
  source: 'genai-prices' | 'bundled' | 'override' | 'local' | 'unknown' | 'ceiling';
  /** false when the model is unknown (cost is then 0 under the 'zero' and 'warn' policies). */
  known: boolean;
}

/** The result of pricing one usage vector. All amounts are integer nano-USD. */
export interface CostBreakdown {
  totalNanos: Nanos;
  /** Uncached input tokens. */
  inputNanos: Nanos;
  cacheReadNanos: Nanos;
  cacheWriteNanos: Nanos;
  /** Output tokens, reasoning included unless a separate reasoning price exists. */
  outputNanos: Nanos;
  /** Non-zero only when the model has a separate reasoning price. */
  reasoningNanos: Nanos;
  /** Per-call fee, for the few models priced per request as well; absent or 0 otherwise. */
  requestNanos?: Nanos;
  /** Audio input and output tokens at the audio rates; absent or 0 when none. */
  audioNanos?: Nanos;
  /** Server-side tool calls (web search, file search, code interpreter, image generation, code execution); absent or 0 when none. */
  serverToolNanos?: Nanos;
  /** Billed units the model has no price for (see `unpricedUnits`); absent when every unit used is priced. */
  unpricedUnits?: string[];
  /** The service tier whose prices were applied ('priority', 'flex'); absent for standard prices. */
  serviceTier?: string;
  model: ResolvedModel;
}

/** Policy for models that no price data knows. */
export type UnknownModelPolicy = 'zero' | 'warn' | 'deny';
