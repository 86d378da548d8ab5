import { createRequire } from 'node:module';
import { diag } from '@opentelemetry/api';
import type { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { logs } from '@opentelemetry/api-logs';
import { hostLoggerRegistered } from '../sinks/TollgateLogger.js';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { TollgateSampler } from '../otel/TollgateSampler.js';

// The Node SDK and the OTLP exporters take a quarter of a second to load: only services that
// call start() pay for them, not every importer of tollgate.
const require = createRequire(import.meta.url);
interface SdkModules {
  NodeSDK: typeof NodeSDK;
  OTLPTraceExporter: typeof OTLPTraceExporter;
  OTLPMetricExporter: typeof OTLPMetricExporter;
  PeriodicExportingMetricReader: typeof PeriodicExportingMetricReader;
}
function loadSdk(): SdkModules {
  return {
    NodeSDK: (require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node')).NodeSDK,
    OTLPTraceExporter: (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter,
    OTLPMetricExporter: (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter,
    PeriodicExportingMetricReader: (require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics')).PeriodicExportingMetricReader,
  };
}

export interface StartOptions {
  /** Default: OTEL_SERVICE_NAME, else config `otel.serviceName`, else the SDK's default. */
  serviceName?: string | undefined;
  /** 'otlp' (OTLP/HTTP, honours OTEL_EXPORTER_OTLP_* variables), 'console', or 'none'. Default 'otlp'. */
  exporter?: 'otlp' | 'console' | 'none' | undefined;
  /** The base sampler (wrapped so GenAI spans are always recorded). Default: from OTEL_TRACES_SAMPLER, else parent-based always-on. */
  sampler?: Sampler;
  /** More span processors to run after tollgate's. */
  spanProcessors?: SpanProcessor[];
  /** Metrics export interval for OTLP, ms. Default 60000. */
  metricExportIntervalMs?: number;
}

export interface StartedOtel {
  readonly sdk: NodeSDK;
  /** Idempotent: flushes exporters and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Starts a NodeSDK around tollgate's processor, for a service that has no OTel yet. */
export function startOtel(processor: SpanProcessor, options: StartOptions = {}): StartedOtel {
  const { NodeSDK, OTLPTraceExporter, OTLPMetricExporter, PeriodicExportingMetricReader } = loadSdk();
  const exporter = options.exporter ?? 'otlp';
  const processors: SpanProcessor[] = [processor];
  const metricReaders: IMetricReader[] = [];
  if (exporter === 'otlp') {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    metricReaders.push(
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: options.metricExportIntervalMs ?? 60_000 }),
    );
  } else if (exporter === 'console') {
    processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  processors.push(...(options.spanProcessors ?? []));
  const serviceName = process.env.OTEL_SERVICE_NAME ?? options.serviceName;
  const sdk = new NodeSDK({
    ...(serviceName !== undefined ? { serviceName } : {}),
    spanProcessors: processors,
    // Always explicit: an empty list stops the SDK from adding OTLP readers and log exporters
    // from its environment defaults (no network calls the config did not ask for).
    metricReaders,
    logRecordProcessors: [],
    sampler: new TollgateSampler(options.sampler ?? samplerFromEnv(process.env)),
    instrumentations: [],
  });
  const hostLogs = hostLoggerRegistered();
  sdk.start();
  // NodeSDK registers a logger provider even with no log processors: unregister it, so that tollgate's
  // log lines stay on stderr instead of going to a provider that drops them.
  if (!hostLogs) logs.disable();
  let done: Promise<void> | undefined;
  return {
    sdk,
    shutdown: () => (done ??= sdk.shutdown().catch((err: unknown) => diag.error('tollgate: OTel SDK shutdown failed', err))),
  };
}

/** The sampler the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables ask for. */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  switch (name) {
    case 'always_off':
      return new AlwaysOffSampler();
    case 'always_on':
      return new AlwaysOnSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
