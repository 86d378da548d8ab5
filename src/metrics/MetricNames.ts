/**
 * Prometheus metric names served at /metrics (before the optional prefix).
 * The seed names are the contract; units and `_total` suffixes follow Prometheus conventions.
 */
export const METRIC_TOKENS_INPUT_TOTAL = 'tokens_input_total';
export const METRIC_TOKENS_OUTPUT_TOTAL = 'tokens_output_total';
export const METRIC_TOKENS_CACHED_INPUT_TOTAL = 'tokens_cached_input_total';
export const METRIC_TOKENS_REASONING_TOTAL = 'tokens_reasoning_total';
export const METRIC_COST_TOTAL_PER_MODEL_USD = 'cost_total_per_model_usd';
export const METRIC_COST_TOTAL_USD = 'cost_total_usd';
export const METRIC_DAILY_COST_REMAINING_USD = 'daily_cost_remaining_usd';
export const METRIC_DAILY_COST_USD = 'daily_cost_usd';
export const METRIC_BUDGET_REMAINING_USD = 'budget_remaining_usd';
export const METRIC_TASK_COST_TOTAL_USD = 'task_cost_total_usd';
export const METRIC_LLM_CALLS_TOTAL = 'llm_calls_total';
export const METRIC_EMBED_REQUESTS_TOTAL = 'embed_requests_total';
export const METRIC_TOOL_CALLS_TOTAL = 'tool_calls_total';
export const METRIC_MEMORY_OPERATIONS_TOTAL = 'memory_operations_total';
export const METRIC_CONTRACT_CHECKS_TOTAL = 'contract_checks_total';
export const METRIC_BUDGET_EXCEEDED_TOTAL = 'budget_exceeded_total';
export const METRIC_LLM_REQUEST_DURATION_SECONDS = 'llm_request_duration_seconds';
export const METRIC_TOLLGATE_ERRORS_TOTAL = 'tollgate_errors_total';
export const METRIC_LEDGER_ERRORS_TOTAL = 'ledger_errors_total';
/** Cost (USD) and calls per attribution dimension (user, team, api_key, tag) and value; values bounded by labelValueCap. */
export const METRIC_ATTRIBUTION_COST_USD_TOTAL = 'attribution_cost_usd_total';
export const METRIC_ATTRIBUTION_CALLS_TOTAL = 'attribution_calls_total';
/** Run-time problems by kind (a cap that may be weaker than configured, a number that may be wrong), read from `Problems.counts()`. */
export const METRIC_TOLLGATE_PROBLEMS_TOTAL = 'tollgate_problems_total';
/** USD by which settled calls cost more than their reservation, per provider and model. */
export const METRIC_TOLLGATE_RESERVATION_SHORTFALL_USD_TOTAL = 'tollgate_reservation_shortfall_usd_total';
/** Observations whose label value was folded into `_other` (a metric at its cap of distinct values), by metric. */
export const METRIC_TOLLGATE_METRIC_LABELS_FOLDED_TOTAL = 'tollgate_metric_labels_folded_total';
/** Calls priced by policy instead of price data (unknown model, or a billed unit without a price), per provider and model. */
export const METRIC_TOLLGATE_UNPRICED_CALLS_TOTAL = 'tollgate_unpriced_calls_total';

/** OpenTelemetry GenAI client metrics (semconv v1.41) and tollgate's cost counter. */
export const OTEL_METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const OTEL_METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
export const OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';
export const OTEL_METRIC_TOLLGATE_COST = 'tollgate.cost';
