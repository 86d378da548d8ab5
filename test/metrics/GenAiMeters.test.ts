import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { HistogramMetricData, MetricData, SumMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { GenAiMeters } from '../../src/metrics/GenAiMeters.js';
import { LabelFold } from '../../src/metrics/LabelFold.js';

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: 'r1',
    time: 1_795_000_000_000,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    task: 'T-1',
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    operation: 'chat',
    inputTokens: 1000,
    outputTokens: 200,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 4_500_000,
    status: 'ok',
    ...overrides,
  };
}

function setup(fold?: LabelFold): { meters: GenAiMeters; collect: () => Promise<MetricData[]>; shutdown: () => Promise<void> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meters = new GenAiMeters(provider.getMeter('tollgate-test'), fold);
  return {
    meters,
    collect: async () => {
      await reader.forceFlush();
      const batches = exporter.getMetrics();
      return batches.at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    },
    shutdown: () => provider.shutdown(),
  };
}

function byName(metrics: MetricData[], name: string): MetricData {
  const found = metrics.find((m) => m.descriptor.name === name);
  if (found === undefined) throw new Error(`no metric ${name} in ${metrics.map((m) => m.descriptor.name).join(', ')}`);
  return found;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('GenAiMeters', () => {
  it('records gen_ai.client.token.usage per token type with the semconv buckets and no ids', async () => {
    const t = setup();
    cleanup = t.shutdown;
    t.meters.record(usage({ metadata: { requestedModel: 'gpt-4o' } }), 1.5);
    const metrics = await t.collect();

    const tokens = byName(metrics, 'gen_ai.client.token.usage') as HistogramMetricData;
    expect(tokens.descriptor.unit).toBe('{token}');
    expect(tokens.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = tokens.dataPoints.map((p) => ({ attributes: p.attributes, sum: p.value.sum, count: p.value.count }));
    const base = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
    };
    expect(points).toEqual([
      { attributes: { ...base, 'gen_ai.token.type': 'input' }, sum: 1000, count: 1 },
      { attributes: { ...base, 'gen_ai.token.type': 'output' }, sum: 200, count: 1 },
    ]);
    expect(tokens.dataPoints[0]?.value.buckets.boundaries).toEqual([
      1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
    ]);

    const duration = byName(metrics, 'gen_ai.client.operation.duration') as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPoints).toHaveLength(1);
    expect(duration.dataPoints[0]?.attributes).toEqual(base);
    expect(duration.dataPoints[0]?.value.sum).toBe(1.5);
    expect(duration.dataPoints[0]?.value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);

    const cost = byName(metrics, 'tollgate.cost') as SumMetricData;
    expect(cost.descriptor.unit).toBe('USD');
    expect(cost.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[base, 0.0045]]);
  });

  it('marks failures with error.type and records token usage for them only when the provider reported some', async () => {
    const t = setup();
    cleanup = t.shutdown;
    t.meters.record(usage({ status: 'error', inputTokens: 0, outputTokens: 0, costNanos: 0, metadata: { errorType: 'APIConnectionError' } }), 0.2);
    t.meters.record(usage({ status: 'denied', inputTokens: 0, outputTokens: 0, costNanos: 0 }));
    let metrics = await t.collect();

    const duration = byName(metrics, 'gen_ai.client.operation.duration') as HistogramMetricData;
    expect(duration.dataPoints.map((p) => p.attributes['error.type'])).toEqual(['APIConnectionError']);
    expect(metrics.find((m) => m.descriptor.name === 'gen_ai.client.token.usage')?.dataPoints ?? []).toEqual([]);
    expect(metrics.find((m) => m.descriptor.name === 'tollgate.cost')?.dataPoints ?? []).toEqual([]);

    t.meters.record(usage({ status: 'cost_exceeded', inputTokens: 500, outputTokens: 40, costNanos: 0 }));
    metrics = await t.collect();
    const tokens = byName(metrics, 'gen_ai.client.token.usage') as HistogramMetricData;
    expect(tokens.dataPoints.map((p) => [p.attributes['error.type'], p.attributes['gen_ai.token.type'], p.value.sum])).toEqual([
      ['cost_exceeded', 'input', 500],
      ['cost_exceeded', 'output', 40],
    ]);
  });

  it('records only input tokens for embeddings, and cost without token usage for tools', async () => {
    const t = setup();
    cleanup = t.shutdown;
    t.meters.record(usage({ operation: 'embeddings', model: 'text-embedding-3-small', inputTokens: 64, outputTokens: 0, costNanos: 1280 }));
    t.meters.record(usage({ operation: 'execute_tool', provider: 'serpapi', model: 'search', inputTokens: 0, outputTokens: 0, costNanos: 1_000_000 }));
    const metrics = await t.collect();
    const tokens = byName(metrics, 'gen_ai.client.token.usage') as HistogramMetricData;
    expect(tokens.dataPoints.map((p) => [p.attributes['gen_ai.operation.name'], p.attributes['gen_ai.token.type'], p.value.sum])).toEqual([
      ['embeddings', 'input', 64],
    ]);
    const cost = byName(metrics, 'tollgate.cost') as SumMetricData;
    expect(cost.dataPoints.map((p) => [p.attributes['gen_ai.operation.name'], p.value])).toEqual([
      ['embeddings', 0.00000128],
      ['execute_tool', 0.001],
    ]);
  });

  it('records time to first chunk and one time-per-output-chunk per later chunk for streamed calls, with the semconv buckets', async () => {
    const t = setup();
    cleanup = t.shutdown;
    t.meters.record(usage(), { durationSeconds: 2, stream: { firstChunkSeconds: 0.4, chunkGapsSeconds: [0.05, 0.02, 0.1] } });
    t.meters.record(usage(), { durationSeconds: 1 }); // not streamed: no chunk metrics
    const metrics = await t.collect();
    const ttfc = byName(metrics, 'gen_ai.client.operation.time_to_first_chunk') as HistogramMetricData;
    expect(ttfc.descriptor.unit).toBe('s');
    expect(ttfc.dataPoints.map((p) => [p.value.count, p.value.sum])).toEqual([[1, 0.4]]);
    expect(ttfc.dataPoints[0]?.attributes['gen_ai.provider.name']).toBe('openai');
    const tpoc = byName(metrics, 'gen_ai.client.operation.time_per_output_chunk') as HistogramMetricData;
    expect(tpoc.dataPoints.map((p) => p.value.count)).toEqual([3]);
    expect(tpoc.dataPoints[0]?.value.sum).toBeCloseTo(0.17, 10);
    expect(tpoc.dataPoints[0]?.value.buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    expect(ttfc.dataPoints[0]?.value.buckets.boundaries).toEqual(tpoc.dataPoints[0]?.value.buckets.boundaries);
  });

  it('records only the cost of a call whose gen_ai.client.* metrics another instrumentation records', async () => {
    const t = setup();
    cleanup = t.shutdown;
    t.meters.record(usage(), { durationSeconds: 1, clientMetricsElsewhere: true });
    const metrics = await t.collect();
    expect(metrics.filter((m) => m.descriptor.name.startsWith('gen_ai.client.') && m.dataPoints.length > 0)).toEqual([]);
    expect((byName(metrics, 'tollgate.cost') as SumMetricData).dataPoints.map((p) => p.value)).toEqual([0.0045]);
  });
});

describe('GenAiMeters label bounds', () => {
  it('with a fold, models past the cap are recorded as _other and each folded record is counted', async () => {
    let folded = 0;
    const m = setup(new LabelFold(3, () => (folded += 1)));
    cleanup = m.shutdown;
    for (let i = 0; i < 10; i++) m.meters.record(usage({ model: `model-${i}` }), 0.5);
    const cost = byName(await m.collect(), 'tollgate.cost') as SumMetricData;
    const models = cost.dataPoints.map((p) => p.attributes['gen_ai.response.model']);
    expect(new Set(models)).toEqual(new Set(['model-0', 'model-1', 'model-2', '_other']));
    expect(cost.dataPoints.find((p) => p.attributes['gen_ai.response.model'] === '_other')?.value).toBeCloseTo(7 * 0.0045, 12);
    expect(folded).toBe(7);
  });
});
