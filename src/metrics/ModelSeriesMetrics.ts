import { Gauge } from 'prom-client';
import type { Nanos } from '../core/money.js';
import { NANOS_PER_USD } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { CellCounter, CellGauge, CellHistogram } from './CellMetrics.js';
import type { HistogramCell, ValueCell } from './CellMetrics.js';
import type { LabelFold } from './LabelFold.js';
import {
  METRIC_COST_TOTAL_PER_MODEL_USD,
  METRIC_COST_TOTAL_USD,
  METRIC_EMBED_REQUESTS_TOTAL,
  METRIC_LLM_CALLS_TOTAL,
  METRIC_LLM_REQUEST_DURATION_SECONDS,
  METRIC_TOKENS_CACHED_INPUT_TOTAL,
  METRIC_TOKENS_INPUT_TOTAL,
  METRIC_TOKENS_OUTPUT_TOTAL,
  METRIC_TOKENS_REASONING_TOTAL,
} from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

type ProviderModel = 'provider' | 'model';
type Status = UsageRecord['status'];

/** A key unique per provider/model pair (neither contains NUL). */
function seriesKey(s: { provider: string; model: string }): string {
  return `${s.provider}\u0000${s.model}`;
}

function pmLabels(s: { provider: string; model: string }): Record<ProviderModel, string> {
  return { provider: s.provider, model: s.model };
}

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
 * The per provider/model metrics of settled calls: token counters, `llm_calls_total`,
 * `embed_requests_total`, `llm_request_duration_seconds`, and the two cost totals
 * (`cost_total_per_model_usd`, `cost_total_usd`), summed exactly in nano-USD and converted
 * to USD at scrape time.
 */
export class ModelSeriesMetrics {
  private readonly tokensInput: CellCounter<ProviderModel>;
  private readonly tokensOutput: CellCounter<ProviderModel>;
  private readonly tokensCachedInput: CellCounter<ProviderModel>;
  private readonly tokensReasoning: CellCounter<ProviderModel>;
  private readonly llmCalls: CellCounter<ProviderModel | 'status'>;
  private readonly embedRequests: CellCounter<ProviderModel | 'status'>;
  private readonly duration: CellHistogram<ProviderModel | 'operation'>;

  private totalCostNanos: Nanos = 0;
  /** provider → model → series. */
  private readonly series = new Map<string, Map<string, ModelSeries>>();
  /** The series of the previous call: consecutive calls mostly share their pair. */
  private lastSeries: ModelSeries | undefined;
  /** Bounds the providers and models every metric of this group has (they share their series). */
  private readonly fold: LabelFold;

  constructor(setup: MetricsSetup) {
    const { name, registers } = setup;
    const pm: ProviderModel[] = ['provider', 'model'];
    this.fold = setup.folds.fold('model_series');
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
            if (s.costed) costPerModel.cell(seriesKey(s), pmLabels(s)).value = s.costNanos / NANOS_PER_USD;
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
    this.duration = new CellHistogram({
      name: name(METRIC_LLM_REQUEST_DURATION_SECONDS),
      help: 'Duration of LLM and embedding calls, seconds.',
      labelNames: ['provider', 'model', 'operation'],
      buckets: setup.durationBuckets,
      registers,
    });
  }

  /**
   * Counts one record's tokens and cost under its provider/model pair. `kind` says which call
   * counter (and duration histogram) it belongs to: 'llm', 'embeddings', or 'other' (a tool,
   * memory or contract record that carried tokens or cost).
   */
  record(record: UsageRecord, kind: 'llm' | 'embeddings' | 'other', durationSeconds: number | undefined): void {
    const isLlm = kind === 'llm';
    const isEmbed = kind === 'embeddings';
    const s = this.seriesOf(record.provider, record.model);
    if (isLlm) this.statusCell(s.calls, this.llmCalls, s, record.status).value += 1;
    else if (isEmbed) this.statusCell(s.embeds, this.embedRequests, s, record.status).value += 1;

    // Client calls that ran always have their token series (zeros included), so rate() works from the
    // first call; a denied call never ran, so it adds no token or cost series of its own.
    const ran = record.status !== 'denied';
    const client = (isLlm || isEmbed) && ran;
    if (client || record.inputTokens > 0) (s.input ??= this.tokensInput.cell(seriesKey(s), pmLabels(s))).value += record.inputTokens;
    if ((isLlm && ran) || record.outputTokens > 0) (s.output ??= this.tokensOutput.cell(seriesKey(s), pmLabels(s))).value += record.outputTokens;
    if (record.cacheReadTokens > 0) (s.cachedInput ??= this.tokensCachedInput.cell(seriesKey(s), pmLabels(s))).value += record.cacheReadTokens;
    if (record.reasoningTokens > 0) (s.reasoning ??= this.tokensReasoning.cell(seriesKey(s), pmLabels(s))).value += record.reasoningTokens;

    if (record.costNanos > 0 || client) {
      s.costNanos += record.costNanos;
      s.costed = true;
      this.totalCostNanos += record.costNanos;
    }

    if ((isLlm || isEmbed) && durationSeconds !== undefined && Number.isFinite(durationSeconds) && durationSeconds >= 0) {
      const op = record.operation;
      let cell = s.durations.get(op);
      if (cell === undefined) {
        cell = this.duration.cell(`${seriesKey(s)}\u0000${op}`, { provider: s.provider, model: s.model, operation: op });
        s.durations.set(op, cell);
      }
      this.duration.observeCell(cell, durationSeconds);
    }
  }

  /** The series of a provider/model pair, created on first use (under `_other` once a label is at its cap). */
  private seriesOf(givenProvider: string, givenModel: string): ModelSeries {
    const last = this.lastSeries;
    if (last !== undefined && last.provider === givenProvider && last.model === givenModel) return last;
    const existing = this.series.get(givenProvider)?.get(givenModel);
    if (existing !== undefined) {
      this.lastSeries = existing;
      return existing;
    }
    const { provider, model } = this.fold.values({ provider: givenProvider, model: givenModel });
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
}
