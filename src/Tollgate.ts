import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { BudgetEngine } from './budget/BudgetEngine.js';
import type { BudgetStatus } from './budget/budgetStatus.js';
import type { PauseState } from './budget/PauseSwitch.js';
import type { TollgateConfig, TollgateConfigInput } from './config/schema.js';
import type { BudgetSpec } from './core/Budget.js';
import type { Problems } from './core/Problems.js';
import type { EventBus } from './events/EventBus.js';
import type { TollgateEventName, TollgateListener } from './events/TollgateEvents.js';
import type { Ledger, UsageGroup, UsageQuery } from './ledger/Ledger.js';
import type { TollgateMetrics } from './metrics/TollgateMetrics.js';
import type { PricingCatalog } from './pricing/PricingCatalog.js';
import type { BudgetSpanProcessor } from './processor/BudgetSpanProcessor.js';
import type { RateLimitCheck } from './ratelimit/RateLimitCheck.js';
import type { RateLimitStatus } from './ratelimit/RateLimitStatus.js';
import type { RunningServer } from './server/startServer.js';
import type { StartOptions, StartedOtel } from './setup/startOtel.js';
import type { TraceRing } from './traces/TraceRing.js';
import type { TollgateHandle } from './track/TollgateHandle.js';
import type { Tracker } from './track/Tracker.js';

/** Options of createTollgate: the config (see README "Configuration") plus the parts code can inject. */
export interface TollgateOptions extends TollgateConfigInput {
  /** Use this ledger instead of opening `store`. */
  ledger?: Ledger;
  /** Epoch-ms clock for windows and records. Default Date.now. */
  clock?: () => number;
  /** Where tollgate's own spans are made. Default: the global tracer provider. */
  tracerProvider?: TracerProvider;
  /** Where the OTel GenAI metrics go. Default: the global meter provider current when each call settles (so the SDK may be started after createTollgate). */
  meterProvider?: MeterProvider;
  /**
   * Refuse requests of other instrumentations' denied spans at `fetch` (see FetchGuard).
   * Default true. Install before constructing SDK clients.
   */
  guardFetch?: boolean;
  /** Config file to read; false reads none. Default: tollgate.toml / tollgate.json in cwd or TOLLGATE_CONFIG. */
  configFile?: string | false;
  /** Environment to read TOLLGATE_* from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * How often budgets stored in a shared store are re-read, so that a budget added or removed
   * by another replica or by `tollgate budgets add` applies here too. Default 30000; 0 never.
   */
  budgetRefreshMs?: number;
}

/** A running tollgate: the span processor, the wrappers, the store, metrics and events. */
export interface Tollgate extends TollgateHandle {
  readonly config: TollgateConfig;
  /** Add to your tracer provider: `new NodeSDK({ spanProcessors: [tollgate.spanProcessor, ...] })`. */
  readonly spanProcessor: BudgetSpanProcessor;
  readonly pricing: PricingCatalog;
  readonly ledger: Ledger;
  readonly budgets: BudgetEngine;
  readonly metrics: TollgateMetrics;
  readonly traces: TraceRing;
  readonly events: EventBus;
  /** Resolves when budgets stored in the ledger are loaded. */
  readonly ready: Promise<void>;
  /** Run-time problems (store failures, unpriced models, shortfalls, a displaced fetch guard...), also on stderr unless `quiet`. */
  readonly problems: Problems;

  llm: Tracker['llm'];
  embedding: Tracker['embedding'];
  tool: Tracker['tool'];
  memory: Tracker['memory'];
  contract: Tracker['contract'];
  task: Tracker['task'];
  session: Tracker['session'];
  attribute: Tracker['attribute'];
  agent: Tracker['agent'];
  turn: Tracker['turn'];

  /** Subscribe to `usage`, `threshold` or `budget_exceeded`; returns an unsubscribe function. */
  on<E extends TollgateEventName>(event: E, listener: TollgateListener<E>): () => void;
  /** Aggregated usage from the ledger. */
  usage(query: UsageQuery): Promise<UsageGroup[]>;
  /** Budget spend / remaining per budget and key. */
  budgetStatus(): Promise<BudgetStatus[]>;
  /**
   * Waits for the provider's requests/tokens-per-minute limit (or throws RateLimitError when it is
   * configured to reject), for calls tollgate does not drive itself. Present when limits are configured.
   */
  rateLimit?(provider: string, estimatedTokens: number): Promise<void>;
  /** Use, limit and reset time of each provider's rate limits (empty when none are configured). */
  rateLimitStatus(): RateLimitStatus[];
  /**
   * Answers at once whether a call to `provider` fits its rate limits now: when it does, it is counted
   * (send it); when not, nothing is counted, a `rate_limited` event is emitted, and `retryAfterMs` says
   * when there is room. Always allowed for providers with no limits.
   */
  checkRateLimit(provider: string, estimatedTokens?: number): RateLimitCheck;
  /** Add a budget at run time (persisted in the store). */
  addBudget(spec: BudgetSpec): Promise<BudgetSpec>;
  removeBudget(id: string): Promise<boolean>;
  /** Kill switch: refuse every call (here, and in every process sharing the store after its budget refresh) until `resume()`. */
  pause(reason?: string): Promise<PauseState>;
  resume(): Promise<boolean>;
  /** Session `id`'s budget counters start again from zero (usage and records stay); logged in the store with `actor` (default 'api') and the time. */
  resetSession: BudgetEngine['resets']['session'];
  /** Every budget counter starts again from zero (usage and records stay); logged in the store with `actor` and the time. */
  clearAll: BudgetEngine['resets']['all'];
  /** The full HTTP API (/metrics, /healthz, /v1/...) as a node:http handler for any framework. */
  readonly requestHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Only /metrics (Prometheus text), as a node:http handler. */
  readonly metricsHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serve the HTTP API. Default 127.0.0.1:9464 (config `server`). */
  serve(options?: { port?: number; host?: string }): Promise<RunningServer>;
  /** For a service with no OTel yet: starts NodeSDK with tollgate's processor and sampler and the OTLP exporter. */
  start(options?: StartOptions): StartedOtel;
  /**
   * Deletes usage records older than `retentionDays` (config, default 30) or `before` (epoch ms).
   * Per-day rollups stay, so daily usage and monthly / total budgets are unchanged. Runs by itself
   * once an hour; returns how many records were deleted.
   */
  prune(before?: number): Promise<number>;
  /** Settles what is in flight and flushes alerts. */
  forceFlush(): Promise<void>;
  /** Idempotent: stops servers and OTel started here, flushes, closes the store. */
  shutdown(): Promise<void>;
}
