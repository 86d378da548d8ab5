import type { Nanos } from './money.js';

/** Status of a settled call. */
export type UsageStatus = 'ok' | 'error' | 'denied' | 'cost_exceeded';

/** One settled call (an LLM call, an embedding, a tool call...). */
export interface UsageRecord {
  /** Unique id; the reservation id when the call was admitted (a stored record is identified by its id and time: settling it again changes nothing). */
  id: string;
  /** Epoch milliseconds when the call ended (or was denied). */
  time: number;
  traceId?: string;
  spanId?: string;
  /** Provider's response id, when known. */
  requestId?: string;
  task?: string;
  session?: string;
  agent?: string;
  /** The end user the call was made for. */
  user?: string;
  team?: string;
  /** The API key's hash (`sha256:` + 16 hex digits, see apiKeyHash); never the key. */
  apiKeyHash?: string;
  /** Distinct tags, at most 16. */
  tags?: string[];
  /** e.g. 'openai', 'anthropic' (GenAI semconv `gen_ai.provider.name` values). */
  provider: string;
  /**
   * The model sent in the request: the one asked for, or the fallback that replaced it. The same
   * label for allowed, denied and fallback calls; the provider's response model (often a dated
   * snapshot, which prices the call when it has a price) is the span's `gen_ai.response.model`.
   */
  model: string;
  /** GenAI semconv operation: chat, text_completion, embeddings, execute_tool, ... */
  operation: string;
  /** Includes cached tokens (semconv: gen_ai.usage.input_tokens). */
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens. */
  cacheReadTokens: number;
  /** Part of inputTokens. */
  cacheWriteTokens: number;
  /** Part of outputTokens. */
  reasoningTokens: number;
  costNanos: Nanos;
  status: UsageStatus;
  /** tollgate's own keys (tool, decision, errorType...) and the caller's free metadata keys. */
  metadata?: Record<string, string | number | boolean>;
}
