import { context, type TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  TracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { createTollgate, type Tollgate, type TollgateOptions } from '../../src/createTollgate.js';

let contextReady = false;

/** Registers the AsyncLocalStorage context manager once per test process (what NodeSDK does). */
export function ensureContextManager(): void {
  if (contextReady) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextReady = true;
}

export interface TestTollgate {
  tollgate: Tollgate;
  provider: TracerProvider;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  byName(name: string): ReadableSpan;
  shutdown(): Promise<void>;
}

/**
 * A tollgate on the memory store, reading no config file or environment, with a tracer
 * provider that runs its processor and then exports to memory (or to `exporter`).
 */
export function makeTestTollgate(
  options: TollgateOptions = {},
  extra: { sampler?: Sampler; exporter?: SpanExporter } = {},
): TestTollgate {
  ensureContextManager();
  const exporter = new InMemorySpanExporter();
  let provider: TracerProvider | undefined;
  const lazy: ApiTracerProvider = { getTracer: (name, version, o) => provider!.getTracer(name, version, o) };
  const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false, tracerProvider: lazy, ...options });
  provider = new TracerProvider({
    ...(extra.sampler !== undefined ? { sampler: extra.sampler } : {}),
    spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: extra.exporter ?? exporter })],
  });
  return {
    tollgate,
    provider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    byName(name) {
      const span = exporter.getFinishedSpans().find((s) => s.name === name);
      if (span === undefined) throw new Error(`no span named "${name}"; have: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
      return span;
    },
    shutdown: async () => {
      await provider!.shutdown();
      await tollgate.shutdown();
    },
  };
}
