import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/ConfigError.js';
import { exportPlan, metricReadersOf, spanProcessorsOf } from '../../src/setup/exportersFromEnv.js';
import { hostSdk } from '../../src/setup/hostSdk.js';

describe('exportPlan', () => {
  it('defaults: OTLP for both signals over http/protobuf, metrics every 60 s', () => {
    expect(exportPlan({})).toEqual({ traces: ['otlp'], metrics: ['otlp'], tracesProtocol: 'http/protobuf', metricsProtocol: 'http/protobuf', metricIntervalMs: 60_000 });
  });

  it('per-signal exporter lists; "none" alone switches a signal off, beside others it is ignored (as the SDK)', () => {
    const plan = exportPlan({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'console, none,otlp' });
    expect(plan.traces).toEqual(['none']);
    expect(plan.metrics).toEqual(['console', 'otlp']);
  });

  it('precedence: start({ exporter }) over OTEL_<SIGNAL>_EXPORTER over config otel.exporter', () => {
    expect(exportPlan({ OTEL_TRACES_EXPORTER: 'console' }, { configured: 'none' })).toMatchObject({ traces: ['console'], metrics: ['none'] });
    expect(exportPlan({ OTEL_TRACES_EXPORTER: 'console' }, { exporter: 'otlp', configured: 'none' })).toMatchObject({ traces: ['otlp'], metrics: ['otlp'] });
  });

  it('protocols: per signal over OTEL_EXPORTER_OTLP_PROTOCOL; grpc and http/json are taken', () => {
    const plan = exportPlan({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' });
    expect([plan.tracesProtocol, plan.metricsProtocol]).toEqual(['grpc', 'http/json']);
  });

  it('OTEL_METRIC_EXPORT_INTERVAL, unless start() sets the interval', () => {
    expect(exportPlan({ OTEL_METRIC_EXPORT_INTERVAL: '5000' }).metricIntervalMs).toBe(5000);
    expect(exportPlan({ OTEL_METRIC_EXPORT_INTERVAL: '5000' }, { metricExportIntervalMs: 1000 }).metricIntervalMs).toBe(1000);
  });

  it('values it cannot honour are ConfigErrors naming the variable and what it takes', () => {
    expect(() => exportPlan({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => exportPlan({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/env OTEL_TRACES_EXPORTER.*otlp, console, none/);
    expect(() => exportPlan({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http' })).toThrow(/env OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    expect(() => exportPlan({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' })).toThrow(/env OTEL_METRIC_EXPORT_INTERVAL/);
  });
});

describe('the plan built with the host SDK', () => {
  it('grpc loads the gRPC exporters of sdk-node; console is a simple processor / periodic reader', async () => {
    const sdk = hostSdk();
    const plan = exportPlan({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_METRICS_EXPORTER: 'console' });
    const processors = spanProcessorsOf(plan, sdk);
    const readers = metricReadersOf(plan, sdk);
    expect(processors.map((p) => p.constructor.name)).toEqual(['BatchSpanProcessor']);
    // The gRPC exporter package is loaded (from sdk-node's folder).
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((path) => path.includes('exporter-trace-otlp-grpc'))).toBe(true);
    expect(readers.map((r) => r.constructor.name)).toEqual(['PeriodicExportingMetricReader']);
    await Promise.all([...processors.map((p) => p.shutdown()), ...readers.map((r) => r.shutdown())]);
  });
});
