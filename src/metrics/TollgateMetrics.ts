import { diag } from '@opentelemetry/api';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Nanos } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { ActivityCounters } from './ActivityCounters.js';
import { AttributionCounters } from './AttributionCounters.js';
import { LedgerGauges } from './LedgerGauges.js';
import { METRIC_BUDGET_EXCEEDED_TOTAL, METRIC_LEDGER_ERRORS_TOTAL, METRIC_TOLLGATE_ERRORS_TOTAL } from './MetricNames.js';
import type { BudgetStatusSource, DailySpendSource } from './MetricSources.js';
import { ModelSeriesMetrics } from './ModelSeriesMetrics.js';
import { ProblemsCounter } from './ProblemsCounter.js';
import type { ProblemCountSource } from './ProblemsCounter.js';
import { ShortfallCounter } from './ShortfallCounter.js';
import type { LabelFold, LabelFolds } from './LabelFold.js';
import { TaskCostGauge } from './TaskCostGauge.js';
import { UnpricedCallsCounter } from './UnpricedCallsCounter.js';
import type { UnpricedCalls } from './UnpricedCallsCounter.js';
import { resolveMetricsOptions } from './TollgateMetricsOptions.js';
import type { TollgateMetricsOptions } from './TollgateMetricsOptions.js';
import { EMBEDDINGS_OPERATION, LLM_OPERATIONS } from './UsageKinds.js';

export { DEFAULT_DURATION_BUCKETS } from './TollgateMetricsOptions.js';
export type { TollgateMetricsOptions } from './TollgateMetricsOptions.js';

/**
 * tollgate's Prometheus metrics, in a registry of their own.
 *
 * Counters are fed by `recordUsage` (the span processor calls it once per settled call) and
 * the other `record*` methods. Gauges that describe the ledger (`budget_remaining_usd`,
 * `daily_cost_remaining_usd`, `daily_cost_usd`) and `tollgate_problems_total` are read from the
 * sources given with `setBudgetSource` / `setDailySpendSource` / `setProblemSource` at scrape
 * time, so they are right after a restart and across replicas.
 */
export class TollgateMetrics {
  readonly registry: Registry;

  private readonly models: ModelSeriesMetrics;
  private readonly activity: ActivityCounters;
  private readonly attribution: AttributionCounters;
  private readonly taskCost: TaskCostGauge;
  private readonly ledger: LedgerGauges;
  private readonly problems: ProblemsCounter;
  private readonly shortfall: ShortfallCounter;
  private readonly unpriced: UnpricedCallsCounter;
  private readonly folds: LabelFolds;
  private readonly budgetExceeded: Counter<'scope' | 'action'>;
  private readonly errors: Counter<'component'>;
  private readonly ledgerErrors: Counter;

  /** Throws an Error naming the option when `prefix`, `taskSeriesCap`, `labelValueCap` or `durationBuckets` is invalid. */
  constructor(options: TollgateMetricsOptions = {}) {
    const setup = resolveMetricsOptions(options);
    const { name, registers } = setup;
    this.registry = setup.registry;
    const onSourceError = (): void => this.recordError('metrics');

    this.models = new ModelSeriesMetrics(setup);
    this.ledger = new LedgerGauges(setup, onSourceError);
    this.taskCost = new TaskCostGauge(setup);
    this.activity = new ActivityCounters(setup);
    this.attribution = new AttributionCounters(setup);
    this.budgetExceeded = new Counter({
      name: name(METRIC_BUDGET_EXCEEDED_TOTAL),
      help: 'Calls that did not fit a budget, by scope and action taken (deny, warn, fallback).',
      labelNames: ['scope', 'action'],
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
    this.problems = new ProblemsCounter(setup, onSourceError);
    this.shortfall = new ShortfallCounter(setup);
    this.unpriced = new UnpricedCallsCounter(setup);
    this.folds = setup.folds;
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
    this.ledger.setBudgetSource(source);
  }

  /** Where `daily_cost_usd` comes from (today's settled spend, USD). Read at every scrape. */
  setDailySpendSource(source: DailySpendSource | undefined): void {
    this.ledger.setDailySpendSource(source);
  }

  /**
   * Where `tollgate_problems_total{kind}` comes from: usually `() => problems.counts()` of the
   * engine's `Problems`. Read at every scrape; every known kind has a series (0 until it occurs).
   * Undefined removes the series.
   */
  setProblemSource(source: ProblemCountSource | undefined): void {
    this.problems.setSource(source);
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

  /**
   * Count how much a settled call cost more than its reservation, in integer nano-USD
   * (`tollgate_reservation_shortfall_usd_total{provider,model}` grows by nanos / 1e9).
   * Zero, negative and non-finite amounts are ignored.
   */
  recordShortfall(provider: string, model: string, nanos: Nanos): void {
    this.shortfall.add(provider, model, nanos);
  }

  /**
   * A label fold counted in `tollgate_metric_labels_folded_total{metric}` with this registry's
   * cap (`labelValueCap`), for metrics kept elsewhere (the OTel GenAI meters).
   */
  labelFold(metric: string): LabelFold {
    return this.folds.fold(metric);
  }

  /**
   * Count one call priced by policy instead of price data (`tollgate_unpriced_calls_total{provider,model}`),
   * with the units that made it so (`model` for a model without a price, else the billed units without one).
   */
  recordUnpriced(provider: string, model: string, units: readonly string[]): void {
    this.unpriced.add(provider, model, units);
  }

  /** The unpriced calls counted so far, per provider and model (labels as recorded: `_other` past the cap), most first. */
  unpricedCalls(): UnpricedCalls[] {
    return this.unpriced.snapshot();
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
    const kind = LLM_OPERATIONS.has(op) ? 'llm' : op === EMBEDDINGS_OPERATION ? 'embeddings' : 'other';
    this.attribution.record(record);
    if (kind === 'other') {
      this.activity.record(record);
      // Tool, memory and contract records carry no tokens or cost; leave no empty model series behind.
      if (record.inputTokens === 0 && record.outputTokens === 0 && record.costNanos === 0) {
        if (record.task !== undefined && record.task !== '') this.taskCost.add(record.task, 0);
        return;
      }
    }
    this.models.record(record, kind, durationSeconds);
    if (record.task !== undefined && record.task !== '') this.taskCost.add(record.task, record.costNanos);
  }
}
