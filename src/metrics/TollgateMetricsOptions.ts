import { Registry } from 'prom-client';
import { LabelFolds } from './LabelFold.js';
import { METRIC_TOLLGATE_METRIC_LABELS_FOLDED_TOTAL } from './MetricNames.js';

/** GenAI semconv bucket boundaries for `gen_ai.client.operation.duration`, seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Options of TollgateMetrics. */
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
  /**
   * At most this many distinct values of each label that user input reaches (provider, model,
   * tool, memory operation, contract) per metric; later new values are recorded as `_other` and
   * counted in `tollgate_metric_labels_folded_total{metric}`. Default 500.
   */
  labelValueCap?: number;
  /** Bucket upper bounds (seconds) of `llm_request_duration_seconds`. Default: the GenAI semconv duration boundaries. */
  durationBuckets?: number[];
}

/** Where and under which names the metrics of one TollgateMetrics are registered. */
export interface MetricsSetup {
  registry: Registry;
  /** `[registry]`, as prom-client's `registers` option wants it. */
  registers: Registry[];
  /** The full name of a metric: the prefix, then `base`. */
  name(base: string): string;
  taskSeriesCap: number;
  durationBuckets: number[];
  /** The label folds of the metrics (labelValueCap values per label per metric). */
  folds: LabelFolds;
}

/** Checks the options and applies their defaults; throws an Error naming the bad field. */
export function resolveMetricsOptions(options: TollgateMetricsOptions): MetricsSetup {
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
  const labelValueCap = options.labelValueCap ?? 500;
  if (!Number.isInteger(labelValueCap) || labelValueCap < 1) {
    throw new Error(
      `tollgate: metrics option "labelValueCap" is ${String(labelValueCap)}; it must be a positive integer (default 500)`,
    );
  }
  const durationBuckets = options.durationBuckets ?? [...DEFAULT_DURATION_BUCKETS];
  if (
    durationBuckets.length === 0 ||
    durationBuckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (durationBuckets[i - 1] ?? 0)))
  ) {
    throw new Error(
      'tollgate: metrics option "durationBuckets" must be a non-empty list of finite, strictly increasing numbers (seconds)',
    );
  }
  const registry = options.registry ?? new Registry();
  const name = (base: string): string => `${prefix}${base}`;
  const folds = new LabelFolds(name(METRIC_TOLLGATE_METRIC_LABELS_FOLDED_TOTAL), [registry], labelValueCap);
  return { registry, registers: [registry], name, taskSeriesCap, durationBuckets, folds };
}
