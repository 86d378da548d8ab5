/**
 * GenAI metrics reach the meter provider that is current when a call settles, whichever was
 * started first: README's order (createTollgate, then the SDK), the other order, a NodeSDK or a
 * hand-built MeterProvider registered as global. Real SDK parts; an in-memory metric exporter.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '../../src/createTollgate.js';
import { LazyGenAiMeters } from '../../src/metrics/LazyGenAiMeters.js';

interface Host {
  reader: PeriodicExportingMetricReader;
  exporter: InMemoryMetricExporter;
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  metrics.disable();
  trace.disable();
  context.disable();
  propagation.disable();
});

function reader(): { reader: PeriodicExportingMetricReader; exporter: InMemoryMetricExporter } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  return { exporter, reader: new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 }) };
}

/** A service's own NodeSDK with tollgate's processor (or none yet). */
function startNodeSdk(tollgate?: Tollgate): Host {
  const r = reader();
  const sdk = new NodeSDK({ metricReaders: [r.reader], spanProcessors: tollgate !== undefined ? [tollgate.spanProcessor] : [], logRecordProcessors: [], instrumentations: [] });
  sdk.start();
  return { ...r, stop: () => sdk.shutdown() };
}

function tollgateForTest(): Tollgate {
  const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
  cleanups.push(() => tollgate.shutdown());
  return tollgate;
}

async function oneCall(tollgate: Tollgate): Promise<void> {
  await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini' }, (call) => call.setUsage({ input: 120, output: 30 }));
}

/** The names and data point counts of what the exporter received. */
async function exported(host: Host): Promise<Map<string, number>> {
  await host.reader.forceFlush();
  const names = new Map<string, number>();
  const batches: ResourceMetrics[] = host.exporter.getMetrics();
  const last = batches.at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    if (scope.scope.name !== 'tollgate') continue;
    for (const m of scope.metrics) names.set(m.descriptor.name, m.dataPoints.length);
  }
  return names;
}

describe('GenAI metrics and the order of setup', () => {
  it("README's order: createTollgate first, then NodeSDK.start(): the call's metrics arrive", async () => {
    const tollgate = tollgateForTest();
    const host = startNodeSdk(tollgate);
    cleanups.push(() => host.stop());
    await oneCall(tollgate);
    const names = await exported(host);
    expect(names.get('gen_ai.client.token.usage')).toBe(2); // input and output
    expect(names.get('gen_ai.client.operation.duration')).toBe(1);
    expect(names.get('tollgate.cost')).toBe(1);
    expect(names.has('gen_ai.client.operation.time_to_first_chunk')).toBe(false); // not streamed
  });

  it('a streamed call records time to first chunk once and time per output chunk for each later chunk', async () => {
    const tollgate = tollgateForTest();
    const host = startNodeSdk(tollgate);
    cleanups.push(() => host.stop());
    await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10 }, (call) => {
      for (let output = 1; output <= 3; output++) call.check({ input: 10, output }); // three chunks
      call.setUsage({ input: 10, output: 3 });
    });
    await host.reader.forceFlush();
    const scope = host.exporter.getMetrics().at(-1)!.scopeMetrics.find((s) => s.scope.name === 'tollgate')!;
    const count = (name: string): number | undefined =>
      scope.metrics.find((m) => m.descriptor.name === name)?.dataPoints.reduce((n, p) => n + (p.value as { count: number }).count, 0);
    expect(count('gen_ai.client.operation.time_to_first_chunk')).toBe(1);
    expect(count('gen_ai.client.operation.time_per_output_chunk')).toBe(2);
  });

  it('the other order: NodeSDK.start() first, then createTollgate', async () => {
    const host = startNodeSdk();
    cleanups.push(() => host.stop());
    const tollgate = tollgateForTest();
    await oneCall(tollgate);
    expect((await exported(host)).get('gen_ai.client.token.usage')).toBe(2);
  });

  it('a hand-built MeterProvider registered as global after createTollgate', async () => {
    const tollgate = tollgateForTest();
    await oneCall(tollgate); // before any provider: recorded nowhere, and no error
    const r = reader();
    const provider = new MeterProvider({ readers: [r.reader] });
    metrics.setGlobalMeterProvider(provider);
    cleanups.push(() => provider.shutdown());
    await oneCall(tollgate);
    const names = await exported({ ...r, stop: () => provider.shutdown() });
    expect(names.get('gen_ai.client.token.usage')).toBe(2);
    const usage = r.exporter.getMetrics().at(-1)!.scopeMetrics.find((s) => s.scope.name === 'tollgate')!.metrics.find((m) => m.descriptor.name === 'gen_ai.client.token.usage')!;
    // Only the call made after the provider was registered was recorded.
    expect(usage.dataPoints.map((p) => (p.value as { count: number }).count)).toEqual([1, 1]);
  });
});

describe('LazyGenAiMeters', () => {
  it('records nothing while the no-op provider is current, and on the registered provider once there is one', () => {
    const lazy = new LazyGenAiMeters(() => metrics.getMeterProvider(), { name: 'tollgate', version: '0.0.0' });
    expect(lazy.current()).toBeUndefined();
    const provider = new MeterProvider();
    metrics.setGlobalMeterProvider(provider);
    cleanups.push(() => provider.shutdown());
    const first = lazy.current();
    expect(first).toBeDefined();
    expect(lazy.current()).toBe(first); // made once per provider
    lazy.close();
    expect(lazy.current()).toBeUndefined();
  });
});
