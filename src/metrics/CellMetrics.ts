import { Counter, Gauge, Histogram } from 'prom-client';
import type {
  CounterConfiguration,
  GaugeConfiguration,
  HistogramConfiguration,
  LabelValues,
  MetricObjectWithValues,
  MetricType,
  MetricValue,
  MetricValueWithName,
} from 'prom-client';

/**
 * prom-client metrics whose series are plain objects ("cells") that the hot path updates
 * with one addition: no label hashing, no validation, no allocation per call. The registry
 * reads the cells when it is scraped (`get()`), so the exposition is the one prom-client
 * writes for its own metrics. Callers keep a cell and add to it; `reset()` zeroes every
 * cell (the cells stay valid, so references held on a hot path keep counting).
 */

/** One series of a CellCounter or CellGauge. `labels` must not change once the cell exists. */
export interface ValueCell<T extends string = string> {
  readonly labels: LabelValues<T>;
  value: number;
}

/** One series of a CellHistogram: per-bucket (not cumulative) counts, the sum and the count. */
export interface HistogramCell<T extends string = string> {
  readonly labels: LabelValues<T>;
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A Counter whose series are ValueCells, created with `cell(key, labels)`. */
export class CellCounter<T extends string = string> extends Counter<T> {
  private cells: Map<string, ValueCell<T>> | undefined;
  private readonly header: Header;

  constructor(config: CounterConfiguration<T>) {
    super(config);
    this.cells = new Map();
    this.header = headerOf(config, 'counter');
  }

  /** The series with this key (any string unique per label set), created at 0 with `labels` the first time. */
  cell(key: string, labels: LabelValues<T>): ValueCell<T> {
    return valueCell(this.cells as Map<string, ValueCell<T>>, key, labels);
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    return { ...this.header, values: valuesOf(this.cells) };
  }

  override reset(): void {
    zero(this.cells);
  }
}

/** A Gauge whose series are ValueCells; `delete(key)` removes a series. `collect` (config) runs before each read. */
export class CellGauge<T extends string = string> extends Gauge<T> {
  private cells: Map<string, ValueCell<T>> | undefined;
  private readonly header: Header;

  private readonly collectHook: ((this: CellGauge<T>) => void | Promise<void>) | undefined;

  constructor(config: GaugeConfiguration<T>) {
    super(config);
    this.cells = new Map();
    this.header = headerOf(config, 'gauge');
    this.collectHook = config.collect;
  }

  /** The series with this key, created at 0 with `labels` the first time. */
  cell(key: string, labels: LabelValues<T>): ValueCell<T> {
    return valueCell(this.cells as Map<string, ValueCell<T>>, key, labels);
  }

  /** Removes the series with this key (it is absent from the next scrape). */
  delete(key: string): void {
    this.cells?.delete(key);
  }

  /** Removes every series. */
  clear(): void {
    this.cells?.clear();
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    if (this.collectHook !== undefined) await this.collectHook.call(this);
    return { ...this.header, values: valuesOf(this.cells) };
  }

  override reset(): void {
    zero(this.cells);
  }
}

/** A histogram sample as the registry formats it: the series labels apart (`sharedLabels`), `le` in `labels`. */
type HistogramValue<T extends string> = MetricValueWithName<T> & { sharedLabels: LabelValues<T>; exemplar?: null };

/** A Histogram whose series are HistogramCells; `observeCell(cell, v)` is the hot path. */
export class CellHistogram<T extends string = string> extends Histogram<T> {
  private cells: Map<string, HistogramCell<T>> | undefined;
  private readonly bounds: readonly number[];
  private readonly header: Header;

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.cells = new Map();
    this.bounds = [...config.buckets];
    this.header = headerOf(config, 'histogram');
  }

  /** The series with this key, created empty with `labels` the first time. */
  cell(key: string, labels: LabelValues<T>): HistogramCell<T> {
    const cells = this.cells as Map<string, HistogramCell<T>>;
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = { labels: Object.freeze({ ...labels }), counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      cells.set(key, cell);
    }
    return cell;
  }

  /** Counts one observation in `cell` (a value on a bound belongs to that bound's bucket, `le`). */
  observeCell(cell: HistogramCell<T>, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (cell.counts as Float64Array)[i] = (cell.counts[i] as number) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  /** The exposition values, labels split as the registry formats histograms (series labels as sharedLabels). */
  async getForPromString(): Promise<MetricObjectWithValues<HistogramValue<T>>> {
    const values: HistogramValue<T>[] = [];
    const { name } = this.header;
    const bucketName = `${name}_bucket`;
    for (const cell of this.cells?.values() ?? []) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i] as number;
        values.push({ labels: { le: this.bounds[i] } as LabelValues<T>, sharedLabels: cell.labels, value: cumulative, metricName: bucketName, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' } as LabelValues<T>, sharedLabels: cell.labels, value: cell.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${name}_count` });
    }
    return { ...this.header, values };
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } })) };
  }

  override reset(): void {
    if (this.cells === undefined) return;
    for (const cell of this.cells.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}

/** What the registry prints above a metric's samples (prom-client's typings also list `collect`, which get() never returns). */
type Header = Omit<MetricObjectWithValues<MetricValue<string>>, 'values'>;

function headerOf(config: { name: string; help: string }, type: 'counter' | 'gauge' | 'histogram'): Header {
  // prom-client's typings declare `type` as an enum, but the registry prints the string it holds at run time.
  return { name: config.name, help: config.help, type: type as unknown as MetricType, aggregator: 'sum' } as Header;
}

function valueCell<T extends string>(cells: Map<string, ValueCell<T>>, key: string, labels: LabelValues<T>): ValueCell<T> {
  let cell = cells.get(key);
  if (cell === undefined) {
    cell = { labels: Object.freeze({ ...labels }), value: 0 };
    cells.set(key, cell);
  }
  return cell;
}

/** Zeroes every cell; the base constructor calls reset() too, before `cells` exists. */
function zero(cells: Map<string, ValueCell<string>> | undefined): void {
  if (cells !== undefined) for (const cell of cells.values()) cell.value = 0;
}

function valuesOf<T extends string>(cells: Map<string, ValueCell<T>> | undefined): MetricValue<T>[] {
  return cells === undefined ? [] : [...cells.values()];
}
