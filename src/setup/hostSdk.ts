import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type * as SdkTrace from '@opentelemetry/sdk-trace';

/**
 * The host's OpenTelemetry SDK, for `tollgate.start()` only. Everything is loaded through the
 * host's `@opentelemetry/sdk-node` (an optional peer dependency): the trace SDK, the metrics SDK
 * and the OTLP exporters are the very copies that NodeSDK itself uses, whether it is the 2.x line
 * (`sdk-node` 0.2xx, `@opentelemetry/sdk-trace-base`) or the 3.x line (`sdk-node` 0.3xx, where the
 * trace SDK is `@opentelemetry/sdk-trace`). Nothing is loaded until start() runs: importing tollgate
 * costs no SDK load, and a service that never calls start() needs no SDK package at all.
 */
export interface HostSdk {
  NodeSDK: typeof NodeSDK;
  /** The trace SDK sdk-node uses (`@opentelemetry/sdk-trace`, or `@opentelemetry/sdk-trace-base` before 2.9): samplers, the console exporter. */
  trace: Pick<typeof SdkTrace, 'AlwaysOffSampler' | 'AlwaysOnSampler' | 'ConsoleSpanExporter' | 'ParentBasedSampler' | 'TraceIdRatioBasedSampler'>;
  /** A BatchSpanProcessor of the host's trace SDK around `exporter` (its OTEL_BSP_* defaults apply). */
  batchProcessor(exporter: SpanExporter): SpanProcessor;
  /** A SimpleSpanProcessor of the host's trace SDK around `exporter`. */
  simpleProcessor(exporter: SpanExporter): SpanProcessor;
  metrics: Pick<typeof SdkMetrics, 'PeriodicExportingMetricReader' | 'ConsoleMetricExporter'>;
  /** Loads a package as sdk-node does (from sdk-node's own folder): the OTLP exporters. */
  load(name: string): unknown;
  /** The version of the host's sdk-node, e.g. "0.301.2". */
  version: string;
}

let loaded: HostSdk | undefined;

/** The host's SDK (cached). Throws an Error saying what to install when `@opentelemetry/sdk-node` is missing. */
export function hostSdk(): HostSdk {
  if (loaded !== undefined) return loaded;
  const own = createRequire(import.meta.url);
  let sdkNodeMain: string;
  try {
    sdkNodeMain = own.resolve('@opentelemetry/sdk-node');
  } catch (err: unknown) {
    throw new Error(
      'tollgate.start() needs the OpenTelemetry Node SDK, which is not installed. ' +
        'Fix: npm install @opentelemetry/sdk-node (any 0.2xx or 0.3xx version), or, in a service that sets up OpenTelemetry itself, ' +
        'add tollgate.spanProcessor to its NodeSDK / TracerProvider instead of calling start()',
      { cause: err },
    );
  }
  const fromSdkNode = createRequire(sdkNodeMain);
  const sdkNode = fromSdkNode(sdkNodeMain) as typeof import('@opentelemetry/sdk-node');
  const [name, trace] = firstOf(fromSdkNode, ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base']);
  const metrics = fromSdkNode('@opentelemetry/sdk-metrics') as HostSdk['metrics'];
  // @opentelemetry/sdk-trace (2.9 and later, 3.x) takes an options object; sdk-trace-base the exporter itself.
  const withOptions = name === '@opentelemetry/sdk-trace';
  const { BatchSpanProcessor, SimpleSpanProcessor } = trace as ProcessorClasses;
  loaded = {
    NodeSDK: sdkNode.NodeSDK,
    trace: trace as HostSdk['trace'],
    metrics,
    batchProcessor: (exporter) => new BatchSpanProcessor(withOptions ? { exporter } : exporter),
    simpleProcessor: (exporter) => new SimpleSpanProcessor(withOptions ? { exporter } : exporter),
    load: (pkg) => fromSdkNode(pkg) as unknown,
    version: sdkNodeVersion(sdkNodeMain),
  };
  return loaded;
}

/** The span processor classes of either trace SDK package. */
interface ProcessorClasses {
  BatchSpanProcessor: new (arg: SpanExporter | { exporter: SpanExporter }) => SpanProcessor;
  SimpleSpanProcessor: new (arg: SpanExporter | { exporter: SpanExporter }) => SpanProcessor;
}

/** The first of `names` that loads, and its name (the newer name first). */
function firstOf(load: NodeJS.Require, names: string[]): [string, unknown] {
  let first: unknown;
  for (const name of names) {
    try {
      return [name, load(name)];
    } catch (err: unknown) {
      first ??= err;
    }
  }
  throw first;
}

/** The version in the package.json above sdk-node's entry file (3.x does not export its package.json). */
function sdkNodeVersion(main: string): string {
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@opentelemetry/sdk-node') return pkg.version ?? 'unknown';
    } catch {
      // no package.json here: look one folder up
    }
  }
  return 'unknown';
}
