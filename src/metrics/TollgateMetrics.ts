import { diag } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Nanos, UsageRecord } from '../ledger/Ledger.js';
import type { BudgetStatusSource, BudgetStatusView, DailySpendSource } from './MetricSources.js';
import {
  METRIC_BUDGET_EXCEEDED_TOTAL,
  METRIC_BUDGET_REMAINING_USD,
  METRIC_CONTRACT_CHECKS_TOTAL,
  METRIC_COST_TOTAL_PER_MODEL_USD,
  METRIC_COST_TOTAL_USD,
  METRIC_DAILY_COST_REMAINING_USD,
  METRIC_DAILY_COST_USD,
  METRIC_EMBED_REQUESTS_TOTAL,
  METRIC_LEDGER_ERRORS_TOTAL,
  METRIC_LLM_CALLS_TOTAL,
  METRIC_LLM_REQUEST_DURATION_SECONDS,
  METRIC_MEMORY_OPERATIONS_TOTAL,
  METRIC_TASK_COST_TOTAL_USD,
  METRIC_TOKENS_CACHED_INPUT_TOTAL,
  METRIC_TOKENS_INPUT_TOTAL,
  METRIC_TOKENS_OUTPUT_TOTAL,
  METRIC_TOKENS_REASONING_TOTAL,
  METRIC_TOLLGATE_ERRORS_TOTAL,
  METRIC_TOOL_CALLS_TOTAL,
} from './MetricNames.js';
import {
  CONTRACT_OPERATION,
  EMBEDDINGS_OPERATION,
  LLM_OPERATIONS,
  MEMORY_OPERATION,
  METADATA_CONTRACT,
  METADATA_CONTRACT_RESULT,
  METADATA_MEMORY_OPERATION,
  METADATA_TOOL,
  TOOL_OPERATION,
  readMetadata,
} from './UsageKinds.js';

const NANOS_PER_USD = 1_000_000_000;

/** GenAI semconv bucket boundaries for `gen_ai.client.operation.duration`, seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

export interface TollgateMetricsOptions {
  /**
   * The prom-client registry the metrics are registered in.
   * Default: a new `Registry` of this instance's own (never prom-client's global registry,
   * so nothing collides with the host's metrics).
   */
  registry?: Registry;
  /** Prepended to every metric name, e.g. `'tollgate_'`. Default `''` (the seed names as they are). */
  prefix?: string;
  /**
   * At most this many `task_cost_total_usd{task_id}` series. When a new task would go over,
   * the task updated least recently is dropped from the gauge. Default 1000.
   */
  taskSeriesCap?: number;
  /** Bucket upper bounds (seconds) of `llm_request_duration_seconds`. Default: the GenAI semconv duration boundaries. */
  durationBuckets?: number[];
}

type ProviderModel = 'provider' | 'model';

interface ModelCost {
  provider: string;
  model: string;
  nanos: Nanos;
}

/** Label objects of one provider/model pair; never mutated once handed to prom-client. */
class SeriesLabels {
  readonly pm: Record<ProviderModel, string>;
  private readonly byStatus = new Map<string, Record<ProviderModel | 'status', string>>();
  private readonly byOperation = new Map<string, Record<ProviderModel | 'operation', string>>();

  constructor(
    private readonly provider: string,
    private readonly model: string,
  ) {
    this.pm = { provider, model };
  }

  withStatus(status: string): Record<ProviderModel | 'status', string> {
    let labels = this.byStatus.get(status);
    if (labels === undefined) {
      labels = { provider: this.provider, model: this.model, status };
      this.byStatus.set(status, labels);
    }
    return labels;
  }

  withOperation(operation: string): Record<ProviderModel | 'operation', string> {
    let labels = this.byOperation.get(operation);
    if (labels === undefined) {
      labels = { provider: this.provider, model: this.model, operation };
      this.byOperation.set(operation, labels);
    }
    return labels;
  }
}

/**
 * tollgate's Prometheus metrics, in a registry of their own.
 *
 * Counters are fed by `recordUsage` (the span processor calls it once per settled call).
 * Gauges that describe the ledger (`budget_remaining_usd`, `daily_cost_remaining_usd`,
 * `daily_cost_usd`) are read from the sources given with `setBudgetSource` /
 * `setDailySpendSource` at scrape time, so they are right after a restart and across replicas.
 */
export class TollgateMetrics {
  readonly registry: Registry;
  private readonly taskSeriesCap: number;

  private readonly tokensInput: Counter<ProviderModel>;
  private readonly tokensOutput: Counter<ProviderModel>;
  private readonly tokensCachedInput: Counter<ProviderModel>;
  private readonly tokensReasoning: Counter<ProviderModel>;
  private readonly llmCalls: Counter<ProviderModel | 'status'>;
  private readonly embedRequests: Counter<ProviderModel | 'status'>;
  private readonly toolCalls: Counter<'tool' | 'status'>;
  private readonly memoryOperations: Counter<'operation' | 'status'>;
  private readonly contractChecks: Counter<'contract' | 'result'>;
  private readonly budgetExceeded: Counter<'scope' | 'action'>;
  private readonly duration: Histogram<ProviderModel | 'operation'>;
  private readonly errors: Counter<'component'>;
  private readonly ledgerErrors: Counter;
  private readonly taskCost: Gauge<'task_id'>;

  /** Exact cost sums; converted to USD only when scraped. */
  private readonly costByModel = new Map<string, ModelCost>();
  private totalCostNanos: Nanos = 0;
  /** Reused label objects per provider/model pair (as many as the pairs prom-client itself keeps series for). */
  private readonly seriesLabels = new Map<string, SeriesLabels>();
  /** task id → cost, least recently updated first. */
  private readonly taskCostNanos = new Map<string, Nanos>();

  private budgetSource: BudgetStatusSource | undefined;
  private dailySpendSource: DailySpendSource | undefined;
  /** One read of each source per scrape, shared by the gauges that need it. */
  private budgetRead: Promise<readonly BudgetStatusView[] | undefined> | undefined;
  private dailySpendRead: Promise<number | undefined> | undefined;

  constructor(options: TollgateMetricsOptions = {}) {
    const prefix = options.prefix ?? '';
    if (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw new Error(
        `tollgate: metrics option "prefix" is "${prefix}"; it must match [a-zA-Z_:][a-zA-Z0-9_:]* (e.g. "tollgate_")`,
      );
    }
    const taskSeriesCap = options.taskSeriesCap ?? 1000;
    if (!Number.isInteger(taskSeriesCap) || taskSeriesCap < 1) {
      throw new Error(
        `tollgate: metrics option "taskSeriesCap" is ${String(taskSeriesCap)}; it must be a positive integer (default 1000)`,
      );
    }
    const buckets = options.durationBuckets ?? [...DEFAULT_DURATION_BUCKETS];
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] ?? 0)))) {
      throw new Error(
        'tollgate: metrics option "durationBuckets" must be a non-empty list of finite, strictly increasing numbers (seconds)',
      );
    }
    this.taskSeriesCap = taskSeriesCap;
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    const registers = [registry];
    const name = (base: string): string => `${prefix}${base}`;
    const pm: ProviderModel[] = ['provider', 'model'];

    this.tokensInput = new Counter({
      name: name(METRIC_TOKENS_INPUT_TOTAL),
      help: 'Input tokens consumed (cached tokens included).',
      labelNames: pm,
      registers,
    });
    this.tokensOutput = new Counter({
      name: name(METRIC_TOKENS_OUTPUT_TOTAL),
      help: 'Output tokens produced (reasoning tokens included).',
      labelNames: pm,
      registers,
    });
    this.tokensCachedInput = new Counter({
      name: name(METRIC_TOKENS_CACHED_INPUT_TOTAL),
      help: 'Input tokens read from the provider cache (part of tokens_input_total).',
      labelNames: pm,
      registers,
    });
    this.tokensReasoning = new Counter({
      name: name(METRIC_TOKENS_REASONING_TOTAL),
      help: 'Reasoning tokens (part of tokens_output_total).',
      labelNames: pm,
      registers,
    });

    // The two cost totals keep their established names, which have no `_total` suffix, so they are
    // typed gauge (a counter must end in `_total` for promtool). They only grow within a process,
    // like counters, and are computed at scrape time from exact nano-USD sums.
    const costByModel = this.costByModel;
    const costPerModel: Gauge<ProviderModel> = new Gauge({
      name: name(METRIC_COST_TOTAL_PER_MODEL_USD),
      help: 'Cost of settled calls per provider and model since the process started, USD (only grows).',
      labelNames: pm,
      registers,
      collect: () => {
        costPerModel.reset();
        for (const c of costByModel.values()) {
          costPerModel.set({ provider: c.provider, model: c.model }, c.nanos / NANOS_PER_USD);
        }
      },
    });
    const costTotal: Gauge = new Gauge({
      name: name(METRIC_COST_TOTAL_USD),
      help: 'Cost of all settled calls since the process started, USD (only grows).',
      registers,
      collect: () => {
        costTotal.set(this.totalCostNanos / NANOS_PER_USD);
      },
    });

    const dailyRemaining: Gauge = new Gauge({
      name: name(METRIC_DAILY_COST_REMAINING_USD),
      help: 'USD left today under the tightest daily budget (absent when no daily budget is configured).',
      registers,
      collect: async () => {
        const statuses = await this.readBudgets();
        dailyRemaining.reset();
        const daily = (statuses ?? []).filter((s) => s.budget.scope === 'daily');
        if (daily.length === 0) {
          dailyRemaining.remove({});
          return;
        }
        dailyRemaining.set(Math.min(...daily.map((s) => s.remainingUsd)));
      },
    });
    const budgetRemaining: Gauge<'budget' | 'scope' | 'key'> = new Gauge({
      name: name(METRIC_BUDGET_REMAINING_USD),
      help: 'USD left under each budget and key in its current window.',
      labelNames: ['budget', 'scope', 'key'],
      registers,
      collect: async () => {
        const statuses = await this.readBudgets();
        budgetRemaining.reset();
        for (const s of statuses ?? []) {
          budgetRemaining.set({ budget: s.budget.id, scope: s.budget.scope, key: s.key }, s.remainingUsd);
        }
      },
    });
    const dailyCost: Gauge = new Gauge({
      name: name(METRIC_DAILY_COST_USD),
      help: "Today's (UTC) settled spend, USD.",
      registers,
      collect: async () => {
        const spent = await this.readDailySpend();
        dailyCost.reset();
        if (spent === undefined) dailyCost.remove({});
        else dailyCost.set(spent);
      },
    });

    this.taskCost = new Gauge({
      name: name(METRIC_TASK_COST_TOTAL_USD),
      help: `Cost per task, USD (at most ${taskSeriesCap} tasks; the least recently updated is dropped first).`,
      labelNames: ['task_id'],
      registers,
    });
    this.llmCalls = new Counter({
      name: name(METRIC_LLM_CALLS_TOTAL),
      help: 'LLM calls (chat, text completion, generate content) by status: ok, error, denied, cost_exceeded.',
      labelNames: ['provider', 'model', 'status'],
      registers,
    });
    this.embedRequests = new Counter({
      name: name(METRIC_EMBED_REQUESTS_TOTAL),
      help: 'Embedding requests by status.',
      labelNames: ['provider', 'model', 'status'],
      registers,
    });
    this.toolCalls = new Counter({
      name: name(METRIC_TOOL_CALLS_TOTAL),
      help: 'Tool executions by status.',
      labelNames: ['tool', 'status'],
      registers,
    });
    this.memoryOperations = new Counter({
      name: name(METRIC_MEMORY_OPERATIONS_TOTAL),
      help: 'Memory operations (read, write, delete, search) by status.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.contractChecks = new Counter({
      name: name(METRIC_CONTRACT_CHECKS_TOTAL),
      help: 'Contract checks by result (pass, fail).',
      labelNames: ['contract', 'result'],
      registers,
    });
    this.budgetExceeded = new Counter({
      name: name(METRIC_BUDGET_EXCEEDED_TOTAL),
      help: 'Calls that did not fit a budget, by scope and action taken (deny, warn, fallback).',
      labelNames: ['scope', 'action'],
      registers,
    });
    this.duration = new Histogram({
      name: name(METRIC_LLM_REQUEST_DURATION_SECONDS),
      help: 'Duration of LLM and embedding calls, seconds.',
      labelNames: ['provider', 'model', 'operation'],
      buckets: buckets,
      registers,
    });
    this.errors = new Counter({
      name: name(METRIC_TOLLGATE_ERRORS_TOTAL),
      help: "tollgate's own telemetry failures (never the host's calls), by component.",
      labelNames: ['component'],
      registers,
    });
    this.ledgerErrors = new Counter({
      name: name(METRIC_LEDGER_ERRORS_TOTAL),
      help: 'Ledger operations that failed (store unreachable, disk errors).',
      registers,
    });
  }

  /** Content-Type of `metricsText()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition; reads the scrape-time sources. Never rejects because a source failed. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** Where budget gauges come from (usually `BudgetEngine.status`). Read at every scrape. */
  setBudgetSource(source: BudgetStatusSource | undefined): void {
    this.budgetSource = source;
  }

  /** Where `daily_cost_usd` comes from (today's settled spend, USD). Read at every scrape. */
  setDailySpendSource(source: DailySpendSource | undefined): void {
    this.dailySpendSource = source;
  }

  /**
   * Count one settled call. Routed by `record.operation`: LLM operations to llm_calls_total
   * (+ duration), embeddings to embed_requests_total (+ duration), execute_tool to
   * tool_calls_total, memory to memory_operations_total, contract to contract_checks_total.
   * Tokens and cost are counted for every record that has them.
   */
  recordUsage(record: UsageRecord, durationSeconds?: number): void {
    try {
      this.recordUsageUnsafe(record, durationSeconds);
    } catch (err: unknown) {
      diag.error('tollgate: recording usage metrics failed', err);
      this.recordError('metrics');
    }
  }

  /** Count a call that did not fit a budget. */
  recordBudgetExceeded(scope: string, action: string): void {
    this.budgetExceeded.inc({ scope, action });
  }

  /** Count one of tollgate's own telemetry failures (exporter, ledger, alert sink, ...). */
  recordError(component: string): void {
    this.errors.inc({ component });
  }

  /** Count a failed ledger operation. */
  recordLedgerError(): void {
    this.ledgerErrors.inc();
  }

  private recordUsageUnsafe(record: UsageRecord, durationSeconds: number | undefined): void {
    const op = record.operation;
    const isLlm = LLM_OPERATIONS.has(op);
    const isEmbed = op === EMBEDDINGS_OPERATION;
    const key = `${record.provider}\u0000${record.model}`;
    const labels = this.labelsOf(key, record.provider, record.model);
    const pm = labels.pm;
    const status = record.status;

    if (isLlm) this.llmCalls.inc(labels.withStatus(status));
    else if (isEmbed) this.embedRequests.inc(labels.withStatus(status));
    else if (op === TOOL_OPERATION) {
      const tool = readMetadata(record.metadata, METADATA_TOOL, 'gen_ai.tool.name') ?? 'unknown';
      this.toolCalls.inc({ tool, status });
    } else if (op === MEMORY_OPERATION) {
      const operation = readMetadata(record.metadata, METADATA_MEMORY_OPERATION, 'tollgate.memory.operation') ?? 'unknown';
      this.memoryOperations.inc({ operation, status });
    } else if (op === CONTRACT_OPERATION) {
      const contract = readMetadata(record.metadata, METADATA_CONTRACT, 'tollgate.contract.name') ?? 'unknown';
      const result =
        readMetadata(record.metadata, METADATA_CONTRACT_RESULT, 'tollgate.contract.result') ??
        (status === 'ok' ? 'pass' : 'fail');
      this.contractChecks.inc({ contract, result });
    }

    // Client calls always have their token series (zeros included), so rate() works from the first call.
    if (isLlm || isEmbed || record.inputTokens > 0) this.tokensInput.inc(pm, record.inputTokens);
    if (isLlm || record.outputTokens > 0) this.tokensOutput.inc(pm, record.outputTokens);
    if (record.cacheReadTokens > 0) this.tokensCachedInput.inc(pm, record.cacheReadTokens);
    if (record.reasoningTokens > 0) this.tokensReasoning.inc(pm, record.reasoningTokens);

    if (record.costNanos > 0 || isLlm || isEmbed) {
      const entry = this.costByModel.get(key);
      if (entry) entry.nanos += record.costNanos;
      else this.costByModel.set(key, { ...pm, nanos: record.costNanos });
      this.totalCostNanos += record.costNanos;
    }

    if (record.task !== undefined && record.task !== '') this.addTaskCost(record.task, record.costNanos);

    if ((isLlm || isEmbed) && durationSeconds !== undefined && Number.isFinite(durationSeconds) && durationSeconds >= 0) {
      this.duration.observe(labels.withOperation(op), durationSeconds);
    }
  }

  /**
   * The label objects of one provider/model pair, built once and reused for every call
   * (prom-client keeps the first labels object of a series and only reads the others).
   */
  private labelsOf(key: string, provider: string, model: string): SeriesLabels {
    let labels = this.seriesLabels.get(key);
    if (labels === undefined) {
      labels = new SeriesLabels(provider, model);
      this.seriesLabels.set(key, labels);
    }
    return labels;
  }

  private addTaskCost(task: string, nanos: Nanos): void {
    const previous = this.taskCostNanos.get(task);
    const total = (previous ?? 0) + nanos;
    // Re-insert so the Map stays ordered by last update: the first entry is the one to evict.
    this.taskCostNanos.delete(task);
    this.taskCostNanos.set(task, total);
    this.taskCost.set({ task_id: task }, total / NANOS_PER_USD);
    while (this.taskCostNanos.size > this.taskSeriesCap) {
      const oldest = this.taskCostNanos.keys().next();
      if (oldest.done === true) break;
      this.taskCostNanos.delete(oldest.value);
      this.taskCost.remove({ task_id: oldest.value });
    }
  }

  private readBudgets(): Promise<readonly BudgetStatusView[] | undefined> {
    const source = this.budgetSource;
    if (source === undefined) return Promise.resolve(undefined);
    if (this.budgetRead !== undefined) return this.budgetRead;
    const read = this.readSource(source, 'budget status');
    this.budgetRead = read;
    void read.then(() => {
      if (this.budgetRead === read) this.budgetRead = undefined;
    });
    return read;
  }

  private readDailySpend(): Promise<number | undefined> {
    const source = this.dailySpendSource;
    if (source === undefined) return Promise.resolve(undefined);
    if (this.dailySpendRead !== undefined) return this.dailySpendRead;
    const read = this.readSource(source, 'daily spend');
    this.dailySpendRead = read;
    void read.then(() => {
      if (this.dailySpendRead === read) this.dailySpendRead = undefined;
    });
    return read;
  }

  /** Reads a scrape-time source; a failure is logged and counted, and its gauges are left out of this scrape. */
  private async readSource<T>(source: () => T | Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await source();
    } catch (err: unknown) {
      diag.warn(`tollgate: reading ${what} for /metrics failed; its gauges are left out of this scrape`, err);
      this.recordError('metrics');
      return undefined;
    }
  }
}
