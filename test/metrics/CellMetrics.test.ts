import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter, CellGauge, CellHistogram } from '../../src/metrics/CellMetrics.js';

const BUCKETS = [0.1, 0.5, 1, 5];
const OBSERVATIONS = [0.05, 0.1, 0.3, 0.5, 0.7, 2, 9, 0];

/** The same series fed to plain prom-client metrics and to cell metrics, in two registries. */
function pair(): { plain: Registry; cells: Registry } {
  const plain = new Registry();
  const cells = new Registry();
  const labels = [
    { provider: 'openai', model: 'gpt-4o' },
    { provider: 'anthropic', model: 'claude "sonnet"\n4' }, // escaping is the registry's job
  ];

  const counter = new Counter({ name: 'tokens_total', help: 'Tokens.', labelNames: ['provider', 'model'], registers: [plain] });
  const cellCounter = new CellCounter({ name: 'tokens_total', help: 'Tokens.', labelNames: ['provider', 'model'], registers: [cells] });
  const gauge = new Gauge({ name: 'cost_usd', help: 'Cost.', labelNames: ['provider', 'model'], registers: [plain] });
  const cellGauge = new CellGauge({ name: 'cost_usd', help: 'Cost.', labelNames: ['provider', 'model'], registers: [cells] });
  const histogram = new Histogram({ name: 'duration_seconds', help: 'Duration.', labelNames: ['provider', 'model'], buckets: BUCKETS, registers: [plain] });
  const cellHistogram = new CellHistogram({ name: 'duration_seconds', help: 'Duration.', labelNames: ['provider', 'model'], buckets: BUCKETS, registers: [cells] });

  labels.forEach((l, i) => {
    const key = `${l.provider}/${l.model}`;
    counter.inc(l, 10 + i);
    counter.inc(l, 5);
    const c = cellCounter.cell(key, l);
    c.value += 10 + i;
    cellCounter.cell(key, l).value += 5; // the same cell again
    gauge.set(l, 0.25 * (i + 1));
    cellGauge.cell(key, l).value = 0.25 * (i + 1);
    const h = cellHistogram.cell(key, l);
    for (const v of OBSERVATIONS.slice(i)) {
      histogram.observe(l, v);
      cellHistogram.observeCell(h, v);
    }
  });
  return { plain, cells };
}

describe('cell metrics', () => {
  it('write exactly the exposition prom-client writes for the same counts (text and JSON)', async () => {
    const { plain, cells } = pair();
    expect(await cells.metrics()).toBe(await plain.metrics());
    expect(await cells.getMetricsAsJSON()).toEqual(await plain.getMetricsAsJSON());
  });

  it('merge into a host registry beside its own metrics', async () => {
    const { cells } = pair();
    const host = new Registry();
    new Counter({ name: 'http_requests_total', help: 'Requests.', registers: [host] }).inc();
    const merged = Registry.merge([host, cells]);
    const text = await merged.metrics();
    expect(text).toMatch(/^http_requests_total 1$/m);
    expect(text).toMatch(/^tokens_total\{provider="openai",model="gpt-4o"\} 15$/m);
    expect(text).toMatch(/^duration_seconds_bucket\{le="\+Inf",provider="openai",model="gpt-4o"\} 8$/m);
  });

  it('reset() zeroes every series, and cells held before it keep counting', async () => {
    const registry = new Registry();
    const counter = new CellCounter({ name: 'calls_total', help: 'Calls.', labelNames: ['model'], registers: [registry] });
    const histogram = new CellHistogram({ name: 'd_seconds', help: 'D.', labelNames: ['model'], buckets: [1], registers: [registry] });
    const cell = counter.cell('m', { model: 'm' });
    const h = histogram.cell('m', { model: 'm' });
    cell.value += 3;
    histogram.observeCell(h, 0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toMatch(/^calls_total\{model="m"\} 0$/m);
    expect(await registry.metrics()).toMatch(/^d_seconds_count\{model="m"\} 0$/m);
    cell.value += 2;
    histogram.observeCell(h, 2);
    const text = await registry.metrics();
    expect(text).toMatch(/^calls_total\{model="m"\} 2$/m);
    expect(text).toMatch(/^d_seconds_bucket\{le="1",model="m"\} 0$/m);
    expect(text).toMatch(/^d_seconds_bucket\{le="\+Inf",model="m"\} 1$/m);
  });

  it('a gauge series removed with delete() is absent from the next scrape; collect runs before each read', async () => {
    const registry = new Registry();
    let reads = 0;
    const gauge: CellGauge<'task_id'> = new CellGauge({
      name: 'task_cost_usd',
      help: 'Cost per task.',
      labelNames: ['task_id'],
      registers: [registry],
      collect: () => {
        reads += 1;
        gauge.cell('live', { task_id: 'live' }).value = reads;
      },
    });
    gauge.cell('gone', { task_id: 'gone' }).value = 1;
    gauge.delete('gone');
    const text = await registry.metrics();
    expect(text).not.toContain('gone');
    expect(text).toMatch(/^task_cost_usd\{task_id="live"\} 1$/m);
    expect(await registry.metrics()).toMatch(/^task_cost_usd\{task_id="live"\} 2$/m);
  });
});
