import type { Nanos } from '../core/money.js';
import { NANOS_PER_USD } from '../core/money.js';
import { CellCounter } from './CellMetrics.js';
import type { ValueCell } from './CellMetrics.js';
import type { LabelFold } from './LabelFold.js';
import { METRIC_TOLLGATE_RESERVATION_SHORTFALL_USD_TOTAL } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/**
 * `tollgate_reservation_shortfall_usd_total{provider,model}`: how much settled cost exceeded
 * its reservation. Summed exactly in nano-USD per series; the USD value is the sum / 1e9.
 */
export class ShortfallCounter {
  private readonly counter: CellCounter<'provider' | 'model'>;
  /** provider NUL model → exact sum and its cell. */
  private readonly series = new Map<string, { nanos: Nanos; cell: ValueCell<'provider' | 'model'> }>();
  private readonly fold: LabelFold;

  constructor(setup: MetricsSetup) {
    this.fold = setup.folds.fold(METRIC_TOLLGATE_RESERVATION_SHORTFALL_USD_TOTAL);
    this.counter = new CellCounter({
      name: setup.name(METRIC_TOLLGATE_RESERVATION_SHORTFALL_USD_TOTAL),
      help: 'USD by which settled calls cost more than their reservation (under-estimated input, missing usage), per provider and model.',
      labelNames: ['provider', 'model'],
      registers: setup.registers,
    });
  }

  /** Adds a shortfall of `nanos` (integer nano-USD); zero, negative and non-finite amounts are ignored. */
  add(givenProvider: string, givenModel: string, nanos: Nanos): void {
    if (!Number.isFinite(nanos) || nanos <= 0) return;
    let key = `${givenProvider}\u0000${givenModel}`;
    let entry = this.series.get(key);
    if (entry === undefined) {
      const { provider, model } = this.fold.values({ provider: givenProvider, model: givenModel });
      key = `${provider}\u0000${model}`;
      entry = this.series.get(key);
    }
    if (entry === undefined) {
      const [provider = '', model = ''] = key.split('\u0000');
      entry = { nanos: 0, cell: this.counter.cell(key, { provider, model }) };
      this.series.set(key, entry);
    }
    entry.nanos += nanos;
    entry.cell.value = entry.nanos / NANOS_PER_USD;
  }
}
