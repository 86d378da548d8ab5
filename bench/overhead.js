// Benchmark 1a: one call wrapped by tollgate.llm (span + cost estimate + reservation +
// price + settle + metrics + trace ring, memory store) vs one bare OTel span carrying the
// same attributes (same BasicTracerProvider, no-op processor) vs a bare function call.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { compare } from './lib/measure.js';
import { makeBareProvider, makeTollgate } from './lib/setup.js';

const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };

/** The attributes a tollgate.llm span ends with, split into those set at start and the rest. */
async function tollgateSpanAttributes() {
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

export async function runOverhead() {
  const attrs = await tollgateSpanAttributes();
  const t = makeTollgate();
  const bareTracer = makeBareProvider().getTracer('bench');
  const trivial = () => 1;
  const wrapped = (call) => {
    call.setUsage(USAGE);
    return trivial();
  };

  const bareSpan = async () => {
    const parent = context.active();
    const span = bareTracer.startSpan(attrs.name, { kind: SpanKind.CLIENT, attributes: { ...attrs.start } }, parent);
    const result = await context.with(trace.setSpan(parent, span), trivial);
    span.setAttributes(attrs.end);
    span.end();
    return result;
  };

  const results = await compare(
    [
      { name: 'bare call', fn: async () => trivial() },
      { name: 'bare OTel span', fn: bareSpan },
      {
        name: 'tollgate.llm',
        fn: () => t.tollgate.llm(OPTIONS, wrapped),
        // The memory store keeps every record until pruned; keep it at steady state between batches.
        between: () => void t.tollgate.ledger.prune(Date.now() + 1),
      },
    ],
    { rounds: 21, batch: 4000, warmup: 2 },
  );
  const open = t.tollgate.spanProcessor.openSpanCount;
  await t.shutdown();
  return { results, spanAttributeCount: attrs.count, openSpansAfter: open };
}
