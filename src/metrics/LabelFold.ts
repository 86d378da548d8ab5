import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** The label value that stands for every value past a metric's cap. */
export const OTHER_LABEL_VALUE = '_other';

/**
 * Bounds the distinct values of the labels one metric (or a group of metrics that share their
 * label values) can take: each label keeps the first `cap` values it sees; later new values
 * are recorded as `_other`, and each observation folded so is counted.
 */
export class LabelFold {
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    private readonly cap: number,
    private readonly onFold: () => void,
  ) {}

  /** The values to record under: each as given while its label has room (or already has it), else `_other`. */
  values<L extends string>(labels: Record<L, string>): Record<L, string> {
    let folded = false;
    const out = { ...labels };
    for (const label of Object.keys(labels) as L[]) {
      const value = labels[label];
      let set = this.seen.get(label);
      if (set === undefined) {
        set = new Set();
        this.seen.set(label, set);
      }
      if (set.has(value)) continue;
      if (set.size < this.cap) set.add(value);
      else {
        out[label] = OTHER_LABEL_VALUE;
        folded = true;
      }
    }
    if (folded) this.onFold();
    return out;
  }
}

/** Makes the LabelFold of each metric and owns `tollgate_metric_labels_folded_total{metric}`. */
export class LabelFolds {
  private readonly folded: Counter<'metric'>;

  constructor(
    name: string,
    registers: Registry[],
    readonly cap: number,
  ) {
    this.folded = new Counter({
      name,
      help: `Observations whose label value was recorded as "${OTHER_LABEL_VALUE}" because the metric had ${cap} distinct values of that label already, by metric (model_series: the provider/model metrics, which share their series).`,
      labelNames: ['metric'],
      registers,
    });
  }

  /** The fold of one metric (or group of metrics sharing their labels), counted under `metric`. */
  fold(metric: string): LabelFold {
    return new LabelFold(this.cap, () => this.folded.inc({ metric }));
  }
}
