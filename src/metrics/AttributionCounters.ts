import { Counter } from 'prom-client';
import type { UsageRecord } from '../core/UsageRecord.js';
import type { LabelFold } from './LabelFold.js';
import { METRIC_ATTRIBUTION_CALLS_TOTAL, METRIC_ATTRIBUTION_COST_USD_TOTAL } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/** The dimensions counted, as the `dimension` label says them. */
type Dimension = 'user' | 'team' | 'api_key' | 'tag';

/**
 * `attribution_cost_usd_total{dimension,value}` and `attribution_calls_total{dimension,value}`:
 * spend and calls per user, team, API key hash and tag (a call with two tags counts under both).
 * The values of each dimension are bounded by a LabelFold of their own (`labelValueCap`, later
 * values as `_other`, counted in `tollgate_metric_labels_folded_total{metric="attribution_<dimension>"}`),
 * so a dimension with many values folds neither the others nor the model series. Calls without
 * any dimension add nothing.
 */
export class AttributionCounters {
  private readonly cost: Counter<'dimension' | 'value'>;
  private readonly calls: Counter<'dimension' | 'value'>;
  private readonly folds: Record<Dimension, LabelFold>;

  constructor(setup: MetricsSetup) {
    const { name, registers } = setup;
    this.folds = {
      user: setup.folds.fold('attribution_user'),
      team: setup.folds.fold('attribution_team'),
      api_key: setup.folds.fold('attribution_api_key'),
      tag: setup.folds.fold('attribution_tag'),
    };
    this.cost = new Counter({
      name: name(METRIC_ATTRIBUTION_COST_USD_TOTAL),
      help: 'Cost in USD of settled calls by attribution dimension (user, team, api_key: the key hash, tag) and value.',
      labelNames: ['dimension', 'value'],
      registers,
    });
    this.calls = new Counter({
      name: name(METRIC_ATTRIBUTION_CALLS_TOTAL),
      help: 'Settled calls by attribution dimension (user, team, api_key: the key hash, tag) and value.',
      labelNames: ['dimension', 'value'],
      registers,
    });
  }

  record(record: UsageRecord): void {
    if (record.user !== undefined) this.add('user', record.user, record.costNanos);
    if (record.team !== undefined) this.add('team', record.team, record.costNanos);
    if (record.apiKeyHash !== undefined) this.add('api_key', record.apiKeyHash, record.costNanos);
    if (record.tags !== undefined) for (const tag of record.tags) this.add('tag', tag, record.costNanos);
  }

  private add(dimension: Dimension, value: string, costNanos: number): void {
    const labels = { dimension, value: this.folds[dimension].values({ value }).value };
    this.calls.inc(labels);
    this.cost.inc(labels, Math.max(0, costNanos) / 1e9);
  }
}
