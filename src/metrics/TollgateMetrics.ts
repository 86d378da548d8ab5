import { diag } from '@opentelemetry/api';
import { Counter, Gauge, Registry } from 'prom-client';
import { CellCounter, CellGauge, CellHistogram } from './CellMetrics.js';
import type { HistogramCell, ValueCell } from './CellMetrics.js';
import type { Nanos } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
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

/** A key unique per provider/model pair (neither contains NUL). */
function seriesKey(s: { provider: string; model: string }): string {
  return `${s.provider}\u0000${s.model}`;
}

function pmLabels(s: { provider: string; model: string }): Record<'provider' | 'model', string> {
  return { provider: s.provider, model: s.model };
}

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
type Status = 'ok' | 'error' | 'denied' | 'cost_exceeded';

/**
 * The series of one provider/model pair, kept together so that counting a call is a few
 * additions on cells found with one lookup. Cells that may stay empty (cached and reasoning
 * tokens, each status, each operation's histogram) are created when first needed, so the
 * exposition has the same series prom-client counters would have.
 */
interface ModelSeries {
  readonly provider: string;
  readonly model: string;
  /** Exact cost sum; converted to USD only when scraped. */
  costNanos: Nanos;
  /** Whether cost_total_per_model_usd has a series for this pair yet. */
  costed: boolean;
  input: ValueCell<ProviderModel> | undefined;
  output: ValueCell<ProviderModel> | undefined;
  cachedInput: ValueCell<ProviderModel> | undefined;
  reasoning: ValueCell<ProviderModel> | undefined;
  /** llm_calls_total / embed_requests_total cells by status. */
  calls: Map<string, ValueCell<ProviderModel | 'status'>>;
  embeds: Map<string, ValueCell<ProviderModel | 'status'>>;
  durations: Map<string, HistogramCell<ProviderModel | 'operation'>>;
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

  private readonly tokensInput: CellCounter<ProviderModel>;
  private readonly tokensOutput: CellCounter<ProviderModel>;
  private readonly tokensCachedInput: CellCounter<ProviderModel>;
  private readonly tokensReasoning: CellCounter<ProviderModel>;
  private readonly llmCalls: CellCounter<ProviderModel | 'status'>;
  private readonly embedRequests: CellCounter<ProviderModel | 'status'>;
  private readonly toolCalls: Counter<'tool' | 'status'>;
  private readonly memoryOperations: Counter<'operation' | 'status'>;
  private readonly contractChecks: Counter<'contract' | 'result'>;
  private readonly budgetExceeded: Counter<'scope' | 'action'>;
  private readonly duration: CellHistogram<ProviderModel | 'operation'>;
  private readonly errors: Counter<'component'>;
  private readonly ledgerErrors: Counter;
  private readonly taskCost: CellGauge<'task_id'>;

  private totalCostNanos: Nanos = 0;
  /** provider → model → series. */
  private readonly series = new Map<string, Map<string, ModelSeries>>();
  /** The series of the previous call: consecutive calls mostly share their pair. */
  private lastSeries: ModelSeries | undefined;
  /** task id → cost (exact) and its gauge cell, least recently updated first. */
  private readonly taskCostNanos = new Map<string, { nanos: Nanos; cell: ValueCell<'task_id'> }>();

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

    this.tokensInput = new CellCounter({
      name: name(METRIC_TOKENS_INPUT_TOTAL),
      help: 'Input tokens consumed (cached tokens included).',
      labelNames: pm,
      registers,
    });
    this.tokensOutput = new CellCounter({
      name: name(METRIC_TOKENS_OUTPUT_TOTAL),
      help: 'Output tokens produced (reasoning tokens included).',
      labelNames: pm,
      registers,
    });
    this.tokensCachedInput = new CellCounter({
      name: name(METRIC_TOKENS_CACHED_INPUT_TOTAL),
      help: 'Input tokens read from the provider cache (part of tokens_input_total).',
      labelNames: pm,
      registers,
    });
    this.tokensReasoning = new CellCounter({
      name: name(METRIC_TOKENS_REASONING_TOTAL),
      help: 'Reasoning tokens (part of tokens_output_total).',
      labelNames: pm,
      registers,
    });

    // The two cost totals keep their established names, which have no `_total` suffix, so they are
    // typed gauge (a counter must end in `_total` for promtool). They only grow within a process,
    // like counters, and are computed at scrape time from exact nano-USD sums.
    const series = this.series;
    const costPerModel: CellGauge<ProviderModel> = new CellGauge({
      name: name(METRIC_COST_TOTAL_PER_MODEL_USD),
      help: 'Cost of settled calls per provider and model since the process started, USD (only grows).',
      labelNames: pm,
      registers,
      collect: () => {
        for (const byModel of series.values()) {
          for (const s of byModel.values()) {
            if (s.costed) costPerModel.cell(seriesKey(s), { provider: s.provider, model: s.model }).value = s.costNanos / NANOS_PER_USD;
          }
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

    this.taskCost = new CellGauge({
      name: name(METRIC_TASK_COST_TOTAL_USD),
      help: `Cost per task, USD (at most ${taskSeriesCap} tasks; the least recently updated is dropped first).`,
      labelNames: ['task_id'],
      registers,
    });
    this.llmCalls = new CellCounter({
      name: name(METRIC_LLM_CALLS_TOTAL),
      help: 'LLM calls (chat, text completion, generate content) by status: ok, error, denied, cost_exceeded.',
      labelNames: ['provider', 'model', 'status'],
      registers,
    });
    this.embedRequests = new CellCounter({
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
    this.duration = new CellHistogram({
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
    const status = record.status;

    if (!isLlm && !isEmbed) {
      this.recordActivity(record);
      // Tool, memory and contract records carry no tokens or cost; leave no empty model series behind.
      if (record.inputTokens === 0 && record.outputTokens === 0 && record.costNanos === 0) {
        if (record.task !== undefined && record.task !== '') this.addTaskCost(record.task, 0);
        return;
      }
    }
    const s = this.seriesOf(record.provider, record.model);
    if (isLlm) this.statusCell(s.calls, this.llmCalls, s, status).value += 1;
    else if (isEmbed) this.statusCell(s.embeds, this.embedRequests, s, status).value += 1;

    // Client calls always have their token series (zeros included), so rate() works from the first call.
    if (isLlm || isEmbed || record.inputTokens > 0) (s.input ??= this.tokensInput.cell(seriesKey(s), pmLabels(s))).value += record.inputTokens;
    if (isLlm || record.outputTokens > 0) (s.output ??= this.tokensOutput.cell(seriesKey(s), pmLabels(s))).value += record.outputTokens;
    if (record.cacheReadTokens > 0) (s.cachedInput ??= this.tokensCachedInput.cell(seriesKey(s), pmLabels(s))).value += record.cacheReadTokens;
    if (record.reasoningTokens > 0) (s.reasoning ??= this.tokensReasoning.cell(seriesKey(s), pmLabels(s))).value += record.reasoningTokens;

    if (record.costNanos > 0 || isLlm || isEmbed) {
      s.costNanos += record.costNanos;
      s.costed = true;
      this.totalCostNanos += record.costNanos;
    }

    if (record.task !== undefined && record.task !== '') this.addTaskCost(record.task, record.costNanos);

    if ((isLlm || isEmbed) && durationSeconds !== undefined && Number.isFinite(durationSeconds) && durationSeconds >= 0) {
      let cell = s.durations.get(op);
      if (cell === undefined) {
        cell = this.duration.cell(`${seriesKey(s)}\u0000${op}`, { provider: s.provider, model: s.model, operation: op });
        s.durations.set(op, cell);
      }
      this.duration.observeCell(cell, durationSeconds);
    }
  }

  /** Tool, memory and contract records: low-volume counters, kept as plain prom-client counters. */
  private recordActivity(record: UsageRecord): void {
    const status = record.status;
    switch (record.operation) {
      case TOOL_OPERATION: {
        const tool = readMetadata(record.metadata, METADATA_TOOL, 'gen_ai.tool.name') ?? 'unknown';
        this.toolCalls.inc({ tool, status });
        return;
      }
      case MEMORY_OPERATION: {
        const operation = readMetadata(record.metadata, METADATA_MEMORY_OPERATION, 'tollgate.memory.operation') ?? 'unknown';
        this.memoryOperations.inc({ operation, status });
        return;
      }
      case CONTRACT_OPERATION: {
        const contract = readMetadata(record.metadata, METADATA_CONTRACT, 'tollgate.contract.name') ?? 'unknown';
        const result =
          readMetadata(record.metadata, METADATA_CONTRACT_RESULT, 'tollgate.contract.result') ?? (status === 'ok' ? 'pass' : 'fail');
        this.contractChecks.inc({ contract, result });
        return;
      }
    }
  }

  /** The series of a provider/model pair, created on first use. */
  private seriesOf(provider: string, model: string): ModelSeries {
    const last = this.lastSeries;
    if (last !== undefined && last.provider === provider && last.model === model) return last;
    let byModel = this.series.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      this.series.set(provider, byModel);
    }
    let s = byModel.get(model);
    if (s === undefined) {
      s = {
        provider,
        model,
        costNanos: 0,
        costed: false,
        input: undefined,
        output: undefined,
        cachedInput: undefined,
        reasoning: undefined,
        calls: new Map(),
        embeds: new Map(),
        durations: new Map(),
      };
      byModel.set(model, s);
    }
    this.lastSeries = s;
    return s;
  }

  private statusCell(
    cells: Map<string, ValueCell<ProviderModel | 'status'>>,
    counter: CellCounter<ProviderModel | 'status'>,
    s: ModelSeries,
    status: Status,
  ): ValueCell<ProviderModel | 'status'> {
    let cell = cells.get(status);
    if (cell === undefined) {
      cell = counter.cell(`${seriesKey(s)}\u0000${status}`, { provider: s.provider, model: s.model, status });
      cells.set(status, cell);
    }
    return cell;
  }

  private addTaskCost(task: string, nanos: Nanos): void {
    const entry = this.taskCostNanos.get(task);
    if (entry !== undefined) {
      entry.nanos += nanos;
      entry.cell.value = entry.nanos / NANOS_PER_USD;
      // Re-insert so the Map stays ordered by last update: the first entry is the one to evict.
      this.taskCostNanos.delete(task);
      this.taskCostNanos.set(task, entry);
      return;
    }
    const cell = this.taskCost.cell(task, { task_id: task });
    cell.value = nanos / NANOS_PER_USD;
    this.taskCostNanos.set(task, { nanos, cell });
    while (this.taskCostNanos.size > this.taskSeriesCap) {
      const oldest = this.taskCostNanos.keys().next();
      if (oldest.done === true) break;
      this.taskCostNanos.delete(oldest.value);
      this.taskCost.delete(oldest.value);
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
