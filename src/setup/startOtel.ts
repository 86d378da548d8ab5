import { diag } from '@opentelemetry/api';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { SdkSampler, SdkSpanProcessor } from '../core/SdkSpan.js';
import { disableHostLogs, hostLoggerRegistered } from '../sinks/hostLogs.js';
import { TollgateSampler } from '../otel/TollgateSampler.js';
import type { ExporterName } from './ExporterName.js';
import { exportPlan, metricReadersOf, spanProcessorsOf } from './exportersFromEnv.js';
import { hostSdk } from './hostSdk.js';

export interface StartOptions {
  /** Default: OTEL_SERVICE_NAME, else config `otel.serviceName`, else the SDK's default. */
  serviceName?: string | undefined;
  /**
   * Where both signals go: 'otlp', 'console' or 'none'. Default: per signal, OTEL_TRACES_EXPORTER /
   * OTEL_METRICS_EXPORTER, else config `otel.exporter`, else 'otlp'. OTLP follows the standard
   * OTEL_EXPORTER_OTLP_* variables: protocol (default http/protobuf), endpoints (per signal too), headers.
   */
  exporter?: ExporterName | undefined;
  /** The base sampler (wrapped so GenAI spans are always recorded). Default: from OTEL_TRACES_SAMPLER, else parent-based always-on. */
  sampler?: SdkSampler;
  /** More span processors to run after tollgate's. */
  spanProcessors?: SdkSpanProcessor[];
  /** Metrics export interval, ms. Default OTEL_METRIC_EXPORT_INTERVAL, else 60000. */
  metricExportIntervalMs?: number;
}

/** tollgate's config as start() weighs it: below the start() options and the OTEL_* variables. */
export interface ConfiguredOtel {
  serviceName?: string | undefined;
  exporter?: ExporterName | undefined;
}

/** The NodeSDK start() made (the host's @opentelemetry/sdk-node). */
export interface StartedSdk {
  shutdown(): Promise<void>;
}

export interface StartedOtel {
  readonly sdk: StartedSdk;
  /** Idempotent: flushes exporters and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts a NodeSDK around tollgate's processor, for a service that has no OTel yet. The SDK is
 * the host's own `@opentelemetry/sdk-node` (2.x or 3.x line, an optional peer dependency);
 * exporters follow the standard OTEL_* variables (see exportPlan).
 */
export function startOtel(processor: SdkSpanProcessor, options: StartOptions = {}, configured: ConfiguredOtel = {}): StartedOtel {
  const env = process.env;
  const plan = exportPlan(env, {
    exporter: options.exporter,
    configured: configured.exporter,
    metricExportIntervalMs: options.metricExportIntervalMs,
  });
  const sdk = hostSdk();
  const processors: SdkSpanProcessor[] = [processor, ...(spanProcessorsOf(plan, sdk) as SdkSpanProcessor[]), ...(options.spanProcessors ?? [])];
  const serviceName = env.OTEL_SERVICE_NAME ?? options.serviceName ?? configured.serviceName;
  const nodeSdk = new sdk.NodeSDK({
    ...(serviceName !== undefined ? { serviceName } : {}),
    // tollgate's processors fit the SDK's SpanProcessor of either line (core/SdkSpan.ts).
    spanProcessors: processors as unknown as SpanProcessor[],
    // Always explicit: an empty list stops the SDK from adding OTLP readers and log exporters
    // of its own (no network calls the plan did not ask for).
    metricReaders: metricReadersOf(plan, sdk),
    logRecordProcessors: [],
    sampler: new TollgateSampler(options.sampler ?? samplerFromEnv(env)) as unknown as Sampler,
    instrumentations: [],
  });
  const hostLogs = hostLoggerRegistered();
  nodeSdk.start();
  // NodeSDK registers a logger provider even with no log processors: unregister it, so that tollgate's
  // log lines stay on stderr instead of going to a provider that drops them.
  if (!hostLogs) disableHostLogs();
  let done: Promise<void> | undefined;
  return {
    sdk: nodeSdk,
    shutdown: () => (done ??= nodeSdk.shutdown().catch((err: unknown) => diag.error('tollgate: OTel SDK shutdown failed', err))),
  };
}

/** The sampler the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables ask for (the host SDK's samplers: needs @opentelemetry/sdk-node). */
export function samplerFromEnv(env: NodeJS.ProcessEnv): SdkSampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = hostSdk().trace;
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
