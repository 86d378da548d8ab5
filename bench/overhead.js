// Benchmark 1a: one call wrapped by tollgate.llm (the call driver: span, admission through the
// engine with the worst case priced and reserved, the call, pricing of the usage, settlement,
// sinks: metrics and trace ring; memory store, one daily deny budget) vs one bare OTel span
// carrying the same attributes (same BasicTracerProvider, no-op processor) vs a bare function
// call. Each variant runs in a process of its own (see lib/isolated.js).
import { context, SpanKind, trace } from '@opentelemetry/api';
import { runIsolated } from './lib/isolated.js';
import { makeBareProvider, makeTollgate, steadyPrune } from './lib/setup.js';

const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
const NAMES = ['bare call', 'bare OTel span', 'tollgate.llm'];

/** The attributes a tollgate.llm span ends with, split into those set at start and the rest. */
export async function spanAttributesOf() {
  let captured;
  const capture = { onStart() {}, onEnd(span) { captured = span; }, forceFlush: async () => {}, shutdown: async () => {} };
  const t = makeTollgate({}, [capture]);
  await t.tollgate.llm(OPTIONS, (call) => call.setUsage(USAGE));
  await t.shutdown();
  const all = { ...captured.attributes };
  const startKeys = ['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'tollgate.wrapper', 'gen_ai.request.max_tokens', 'tollgate.estimate.input_tokens'];
  const start = {};
  const end = {};
  for (const [k, v] of Object.entries(all)) (startKeys.includes(k) ? start : end)[k] = v;
  return { name: captured.name, start, end, count: Object.keys(all).length };
}

/** One variant, set up in the process that measures it. */
export async function variant(name, { attrs }) {
  const trivial = () => 1;
  if (name === 'bare call') return { fn: async () => trivial() };
  if (name === 'bare OTel span') {
    const tracer = makeBareProvider().getTracer('bench');
    return {
      fn: async () => {
        const parent = context.active();
        const span = tracer.startSpan(attrs.name, { kind: SpanKind.CLIENT, attributes: { ...attrs.start } }, parent);
        const result = await context.with(trace.setSpan(parent, span), trivial);
        span.setAttributes(attrs.end);
        span.end();
        return result;
      },
    };
  }
  const t = makeTollgate();
  const wrapped = (call) => {
    call.setUsage(USAGE);
    return trivial();
  };
  return {
    fn: () => t.tollgate.llm(OPTIONS, wrapped),
    between: steadyPrune(t.tollgate.ledger),
    report: () => ({ openSpans: t.tollgate.spanProcessor.openSpanCount }),
    close: () => t.shutdown(),
  };
}

export async function runOverhead() {
  const attrs = await spanAttributesOf();
  const results = await runIsolated('overhead.js', NAMES, { rounds: 41, warmup: 4, batch: 4000, args: { attrs }, baseline: 'bare OTel span' });
  return { results, spanAttributeCount: attrs.count, openSpansAfter: results['tollgate.llm'].extra.openSpans };
}
