// The public API of tollgate. Only re-exports: every name is documented where it is defined.

// Setup
export { createTollgate } from './createTollgate.js';
export type { Tollgate, TollgateOptions } from './createTollgate.js';
export { loadConfig } from './config/loadConfig.js';
export type { TollgateConfig, TollgateConfigInput } from './config/schema.js';
export { TollgateSampler, tollgateSampler } from './otel/TollgateSampler.js';
export { samplerFromEnv } from './setup/startOtel.js';
export type { StartOptions, StartedOtel } from './setup/startOtel.js';
export { VERSION } from './version.js';

// The accounting path
export { BudgetSpanProcessor, installFetchGuard } from './processor/index.js';
export type { BudgetSpanProcessorOptions } from './processor/index.js';
export type {
  AdmissionInfo,
  Attribution,
  ContractVerdict,
  EmbeddingCallOptions,
  LlmCall,
  LlmCallOptions,
  MemoryOperation,
  ReportedUsage,
  TollgateHandle,
  ToolOptions,
} from './track/index.js';
export {
  attributionOf,
  apiKeyHash,
  AttributionError,
  BAGGAGE_AGENT,
  BAGGAGE_API_KEY_HASH,
  BAGGAGE_METADATA_PREFIX,
  BAGGAGE_SESSION,
  BAGGAGE_TAGS,
  BAGGAGE_TASK,
  BAGGAGE_TEAM,
  BAGGAGE_USER,
} from './track/index.js';
export type { AttributionInput } from './track/index.js';

// Budgets
export { BudgetEngine } from './budget/BudgetEngine.js';
export type { BudgetEngineOptions } from './budget/BudgetEngine.js';
export type { BudgetStatus } from './budget/budgetStatus.js';
export type { Admission, CallRequest, FinishedCall, SettledCall, SettledCallSink } from './budget/CallTypes.js';
export type { Pricer } from './budget/Pricer.js';
export { PAUSE_RECORD_ID, PauseSwitch } from './budget/PauseSwitch.js';
export type { PauseState } from './budget/PauseSwitch.js';
export { BudgetResets } from './budget/BudgetResets.js';
export type { BudgetResetResult } from './budget/BudgetResets.js';
export { Problems } from './core/Problems.js';
export type { ProblemKind, ProblemReport, ProblemsOptions } from './core/Problems.js';
export type { BudgetAction, BudgetPer, BudgetScope, BudgetSpec, BudgetWhere, BudgetWindow } from './core/Budget.js';
export type { NormalizedBudget } from './budget/normalizeBudget.js';

// Errors a caller may see or catch
export { BudgetExceededError } from './core/BudgetExceededError.js';
export type { BudgetExceededDetails } from './core/BudgetExceededError.js';
export { budgetExceededFrom, isBudgetExceeded } from './core/budgetExceededFrom.js';
export { BudgetConfigError } from './core/BudgetConfigError.js';
export { LedgerUnavailableError } from './core/LedgerUnavailableError.js';
export { ConfigError } from './core/ConfigError.js';
export { UnknownModelError } from './core/UnknownModelError.js';
export { RateLimitError } from './ratelimit/RateLimitError.js';

// Ledgers (Redis: import { RedisLedger } from 'tollgate/redis')
export { MemoryLedger } from './ledger/memory.js';
export { SqliteLedger } from './ledger/sqlite.js';
export type { SqliteLedgerOptions } from './ledger/sqlite.js';
export { openLedger, openLedgerSync } from './ledger/openLedger.js';
export type {
  Bucket,
  BucketState,
  Ledger,
  MaybePromise,
  Nanos,
  RecordQuery,
  ReserveRequest,
  ReserveResult,
  ResetRecord,
  StoredBudget,
  UsageGroup,
  UsageGroupBy,
  UsageQuery,
  UsageRecord,
  UsageStatus,
} from './ledger/Ledger.js';

// Pricing and tokens
export { PricingCatalog } from './pricing/PricingCatalog.js';
export type { PriceRow, PricingOptions } from './pricing/PricingCatalog.js';
export type { PriceOverride } from './pricing/PriceOverride.js';
export type { CostBreakdown, ResolvedModel, TokenUsage, UnknownModelPolicy } from './pricing/types.js';
export { formatUsd, MAX_BUDGET_USD, MAX_EXACT_NANOS, nanosToUsd, NANOS_PER_USD, usdToNanos } from './core/money.js';
export { DefaultTokenEstimator } from './tokens/DefaultTokenEstimator.js';
export type { TokenEstimator } from './tokens/TokenEstimator.js';

// Metrics, server, traces, events
export { TollgateMetrics } from './metrics/TollgateMetrics.js';
export type { TollgateMetricsOptions } from './metrics/TollgateMetrics.js';
export { GenAiMeters } from './metrics/GenAiMeters.js';
export { createRequestHandler, startServer } from './server/index.js';
export type { RunningServer, ServerDeps, StartServerOptions } from './server/index.js';
export { TraceRing } from './traces/TraceRing.js';
export { EventBus } from './events/EventBus.js';
export type { BudgetExceededEvent, LeaseEvent, StoreResetEvent, ThresholdEvent, TollgateEventMap, TollgateEventName, UsageEvent } from './events/TollgateEvents.js';

// Alerts, rate limits, reports
export { InMemoryAlertSink, SlackSink, WebhookSink, createAlertSinks } from './alerts/index.js';
export type { Alert, AlertSink, AlertSinkConfig } from './alerts/index.js';
export { RateLimiter } from './ratelimit/RateLimiter.js';
export type { RateLimitStatus } from './ratelimit/RateLimitStatus.js';
export type { RateLimitCheck } from './ratelimit/RateLimitCheck.js';
export { EmailSink } from './alerts/EmailSink.js';
export type { EmailSinkOptions } from './alerts/EmailSink.js';
export type { HealthCheckFailedEvent, RateLimitedEvent } from './events/TollgateEvents.js';
export { TollgateLogger } from './sinks/TollgateLogger.js';
export type { LogLevel, TollgateLoggerOptions } from './sinks/TollgateLogger.js';
export { buildReportData, renderCsv, renderJson, renderMarkdown, renderTable } from './report/index.js';
export type { ReportData } from './report/index.js';

// Attribute names (GenAI semantic conventions and tollgate's own)
export {
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_COST_AMOUNT,
  ATTR_GEN_AI_USAGE_COST_CURRENCY,
  ATTR_GEN_AI_USAGE_COST_SOURCE,
  ATTR_TOLLGATE_AGENT_ID,
  ATTR_TOLLGATE_CHARGED_BY,
  ATTR_TOLLGATE_COST_NANOS,
  ATTR_TOLLGATE_DECISION,
  ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS,
  ATTR_TOLLGATE_FALLBACK_MODEL,
  ATTR_TOLLGATE_PRICE_SOURCE,
  ATTR_TOLLGATE_PROVIDER_COST_USD,
  ATTR_TOLLGATE_REQUESTED_MODEL,
  ATTR_TOLLGATE_RESERVED_USD,
  ATTR_TOLLGATE_SESSION_ID,
  ATTR_TOLLGATE_STATUS,
  ATTR_TOLLGATE_TASK_ID,
} from './semconv/attributes.js';
