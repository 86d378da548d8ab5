// What the benchmarks share: the context manager NodeSDK would install, tracer providers
// with and without tollgate's processor, and a tollgate on a chosen store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { fromDist } from './dist.js';

const { createTollgate } = await fromDist('src/createTollgate.js');

let contextReady = false;

/** Registers the AsyncLocalStorage context manager once (what NodeSDK does). */
export function ensureContextManager() {
  if (contextReady) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextReady = true;
}

/** A budget every benchmarked call is reserved and settled against (large enough never to deny). */
export const BENCH_BUDGETS = [{ id: 'bench-daily', scope: 'daily', maxUsd: 1_000_000, onExceed: 'deny' }];

/** A SpanProcessor that does nothing: the baseline provider setup. */
export const noopProcessor = {
  onStart() {},
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * A tollgate (no config file, no environment, no fetch guard; memory store unless `options`
 * say otherwise) whose wrappers use a BasicTracerProvider that runs tollgate's processor (then
 * `extraProcessors`), as a service that registers `tollgate.spanProcessor` does. `options` go
 * to createTollgate.
 */
export function makeTollgate(options = {}, extraProcessors = []) {
  ensureContextManager();
  let provider;
  const lazy = { getTracer: (name, version, o) => provider.getTracer(name, version, o) };
  const tollgate = createTollgate({
    store: 'memory:',
    configFile: false,
    env: {},
    guardFetch: false,
    budgets: BENCH_BUDGETS,
    tracerProvider: lazy,
    ...options,
  });
  provider = new BasicTracerProvider({ spanProcessors: [tollgate.spanProcessor, ...extraProcessors] });
  return {
    tollgate,
    provider,
    tracer: provider.getTracer('tollgate'),
    shutdown: async () => {
      await provider.shutdown();
      await tollgate.shutdown();
    },
  };
}

/** The same provider setup without tollgate: a BasicTracerProvider with a no-op processor. */
export function makeBareProvider() {
  ensureContextManager();
  return new BasicTracerProvider({ spanProcessors: [noopProcessor] });
}

/**
 * A `between` step (untimed) that keeps a store at a steady size, as retention pruning does in
 * a long-running service. Each call prunes what was settled before the previous call, so the
 * store holds the last batch or two of records: it neither grows without bound nor starts empty
 * every batch (which would make every batch pay for growing its tables anew).
 */
export function steadyPrune(ledger) {
  let previous = Date.now();
  return async () => {
    const now = Date.now();
    await ledger.prune(previous);
    previous = now;
  };
}

/** A SQLite store file in a fresh temporary directory, and the function that removes it. */
export function tempSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  return { store: `sqlite:${join(dir, 'ledger.db')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
