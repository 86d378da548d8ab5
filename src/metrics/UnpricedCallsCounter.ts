import { CellCounter } from './CellMetrics.js';
import type { ValueCell } from './CellMetrics.js';
import type { LabelFold } from './LabelFold.js';
import { METRIC_TOLLGATE_UNPRICED_CALLS_TOTAL } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/** What made calls unpriced, and how many calls it made so: a billed unit (`code_interpreter`...) or `model`. */
export interface UnpricedUnitCalls {
  /**
   * A billed unit the model has no price for (`cache_write_1h`, `input_audio`, `output_audio`,
   * `web_search`, `file_search`, `code_interpreter`, `image_generation`, `code_execution`), or
   * `model` when the model itself has no price (charged $0 or at the ceiling).
   */
  unit: string;
  calls: number;
}

/** One series of `tollgate_unpriced_calls_total`, as /v1/status and `tollgate doctor` show it, with its units. */
export interface UnpricedCalls {
  provider: string;
  model: string;
  calls: number;
  /** The calls by unpriced unit, most first (a call with two unpriced units counts under both). */
  units: UnpricedUnitCalls[];
}

/**
 * `tollgate_unpriced_calls_total{provider,model}`: calls priced by policy instead of price data
 * (an unknown model at $0 or at the ceiling, or a billed unit the model has no price for).
 * Labels are bounded like every provider/model metric (`_other` past the cap).
 */
export class UnpricedCallsCounter {
  private readonly counter: CellCounter<'provider' | 'model'>;
  /** provider NUL model (as recorded, folded) → count and its cell. */
  private readonly series = new Map<string, { provider: string; model: string; cell: ValueCell<'provider' | 'model'>; units: Map<string, number> }>();
  private readonly fold: LabelFold;

  constructor(setup: MetricsSetup) {
    this.fold = setup.folds.fold(METRIC_TOLLGATE_UNPRICED_CALLS_TOTAL);
    this.counter = new CellCounter({
      name: setup.name(METRIC_TOLLGATE_UNPRICED_CALLS_TOTAL),
      help: 'Calls priced by policy instead of price data (an unknown model at $0 or at the ceiling price, or a billed unit without a price), per provider and model.',
      labelNames: ['provider', 'model'],
      registers: setup.registers,
    });
  }

  /** Counts one unpriced call, with the units that made it so (see UnpricedUnitCalls.unit). */
  add(givenProvider: string, givenModel: string, units: readonly string[]): void {
    let entry = this.series.get(`${givenProvider}\u0000${givenModel}`);
    if (entry === undefined) {
      const { provider, model } = this.fold.values({ provider: givenProvider, model: givenModel });
      const key = `${provider}\u0000${model}`;
      entry = this.series.get(key);
      if (entry === undefined) {
        entry = { provider, model, cell: this.counter.cell(key, { provider, model }), units: new Map() };
        this.series.set(key, entry);
      }
    }
    entry.cell.value += 1;
    for (const unit of new Set(units)) entry.units.set(unit, (entry.units.get(unit) ?? 0) + 1);
  }

  /** Every series with its count, most calls first. */
  snapshot(): UnpricedCalls[] {
    return [...this.series.values()]
      .map((e) => ({
        provider: e.provider,
        model: e.model,
        calls: e.cell.value,
        units: [...e.units].map(([unit, calls]) => ({ unit, calls })).sort((a, b) => b.calls - a.calls || a.unit.localeCompare(b.unit)),
      }))
      .sort((a, b) => b.calls - a.calls || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
  }
}
