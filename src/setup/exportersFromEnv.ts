import type { IMetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from '../core/ConfigError.js';
import type { ExporterName } from './ExporterName.js';
import type { HostSdk } from './hostSdk.js';

/** OTLP transport: the standard values of OTEL_EXPORTER_OTLP_PROTOCOL. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** What start() exports, per signal, after code options, the standard environment and tollgate's config are weighed. */
export interface ExportPlan {
  traces: ExporterName[];
  metrics: ExporterName[];
  tracesProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  metricIntervalMs: number;
}

/** What the plan is made from, strongest first: the start() option, then the OTEL_* variables, then config `otel.exporter`. */
export interface ExportChoices {
  /** start({ exporter }): both signals, over anything in the environment. */
  exporter?: ExporterName | undefined;
  /** config `otel.exporter` (tollgate.toml, TOLLGATE_* env): used for a signal whose OTEL_<SIGNAL>_EXPORTER is unset. */
  configured?: ExporterName | undefined;
  /** start({ metricExportIntervalMs }), over OTEL_METRIC_EXPORT_INTERVAL. */
  metricExportIntervalMs?: number | undefined;
}

const EXPORTERS: readonly string[] = ['otlp', 'console', 'none'];
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json', 'grpc'];

/**
 * Reads the standard variables the way the OpenTelemetry SDK defines them:
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER (comma lists of otlp, console, none; none alone
 * switches the signal off), OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL over
 * OTEL_EXPORTER_OTLP_PROTOCOL (default http/protobuf, as the SDK), OTEL_METRIC_EXPORT_INTERVAL (ms,
 * default 60000). Endpoints, headers, timeouts and compression (OTEL_EXPORTER_OTLP_[SIGNAL_]*) are
 * read by the SDK's exporters themselves. A value tollgate cannot honour throws a ConfigError
 * naming the variable and the values it takes.
 */
export function exportPlan(env: NodeJS.ProcessEnv, choices: ExportChoices = {}): ExportPlan {
  const fallback: ExporterName = choices.configured ?? 'otlp';
  const signal = (name: string): ExporterName[] =>
    choices.exporter !== undefined ? [choices.exporter] : (exporterList(env, name) ?? [fallback]);
  const protocol = (name: string): OtlpProtocol => {
    const specific = nonEmpty(env[name]);
    const variable = specific !== undefined ? name : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    const value = specific ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? 'http/protobuf';
    if (!PROTOCOLS.includes(value)) throw envError(variable, value, PROTOCOLS);
    return value as OtlpProtocol;
  };
  const interval = choices.metricExportIntervalMs ?? numberVar(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  return {
    traces: signal('OTEL_TRACES_EXPORTER'),
    metrics: signal('OTEL_METRICS_EXPORTER'),
    tracesProtocol: protocol('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
    metricsProtocol: protocol('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'),
    metricIntervalMs: interval,
  };
}

/** The span processors of the plan's trace exporters (OTLP batched, console immediate). */
export function spanProcessorsOf(plan: ExportPlan, sdk: HostSdk): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const name of plan.traces) {
    if (name === 'otlp') {
      const exporter = otlpExporter(sdk, 'trace', plan.tracesProtocol, 'OTLPTraceExporter') as SpanExporter;
      processors.push(sdk.batchProcessor(exporter));
    } else if (name === 'console') {
      processors.push(sdk.simpleProcessor(new sdk.trace.ConsoleSpanExporter()));
    }
  }
  return processors;
}

/** The metric readers of the plan's metric exporters. */
export function metricReadersOf(plan: ExportPlan, sdk: HostSdk): IMetricReader[] {
  const readers: IMetricReader[] = [];
  for (const name of plan.metrics) {
    let exporter: PushMetricExporter | undefined;
    if (name === 'otlp') exporter = otlpExporter(sdk, 'metrics', plan.metricsProtocol, 'OTLPMetricExporter') as PushMetricExporter;
    else if (name === 'console') exporter = new sdk.metrics.ConsoleMetricExporter();
    if (exporter !== undefined) readers.push(new sdk.metrics.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: plan.metricIntervalMs }));
  }
  return readers;
}

/** The OTLP exporter package of a signal and protocol, loaded as the host's sdk-node loads it. */
function otlpExporter(sdk: HostSdk, signal: 'trace' | 'metrics', protocol: OtlpProtocol, className: string): unknown {
  const transport = protocol === 'http/protobuf' ? 'proto' : protocol === 'grpc' ? 'grpc' : 'http';
  const pkg = `@opentelemetry/exporter-${signal}-otlp-${transport}`;
  let loaded: unknown;
  try {
    loaded = sdk.load(pkg);
  } catch (err: unknown) {
    throw new Error(`tollgate.start(): the ${protocol} exporter ${pkg} could not be loaded next to @opentelemetry/sdk-node ${sdk.version}. Fix: npm install ${pkg}`, { cause: err });
  }
  const Exporter = (loaded as Record<string, new () => unknown>)[className];
  if (typeof Exporter !== 'function') throw new Error(`tollgate.start(): ${pkg} has no ${className} export (sdk-node ${sdk.version})`);
  return new Exporter();
}

/** The exporters a comma list asks for; undefined when the variable is unset or empty. */
function exporterList(env: NodeJS.ProcessEnv, name: string): ExporterName[] | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const names = [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
  for (const n of names) if (!EXPORTERS.includes(n)) throw envError(name, raw, EXPORTERS);
  // As the SDK: "none" switches the signal off only when it stands alone.
  const chosen = names.filter((n) => n !== 'none') as ExporterName[];
  return chosen.length > 0 ? chosen : ['none'];
}

function numberVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError({ source: `env ${name}`, path: '', expected: 'a number of milliseconds > 0', got: raw, fix: `e.g. ${name}=60000, or unset it` });
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function envError(name: string, raw: string, accepted: readonly string[]): ConfigError {
  return new ConfigError({
    source: `env ${name}`,
    path: '',
    expected: `one of ${accepted.join(', ')}`,
    got: raw,
    fix: `set ${name} to ${accepted.map((a) => `"${a}"`).join(' or ')}, or unset it`,
  });
}
