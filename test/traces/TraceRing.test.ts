import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceRing } from '../../src/traces/TraceRing.js';

/** Epoch ms used as explicit span times, so durations are exact. */
const T0 = 1_795_000_000_000;

let provider: TracerProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
});

function tracerFor(ring: TraceRing): Tracer {
  provider = new TracerProvider({ spanProcessors: [ring] });
  return provider.getTracer('trace-ring-test');
}

describe('TraceRing', () => {
  it('keeps a trace with its spans as plain JSON and summarizes cost and tokens', () => {
    const ring = new TraceRing();
    const tracer = tracerFor(ring);
    const root = tracer.startSpan('invoke_agent planner', { kind: SpanKind.INTERNAL, startTime: T0 });
    const ctx = trace.setSpan(context.active(), root);
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: T0 + 10,
        attributes: {
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 200,
          'tollgate.cost.nanos': 4_500_000,
          'gen_ai.usage.cost': 0.0045,
        },
      },
      ctx,
    );
    chat.addEvent('first_chunk', { index: 0 }, T0 + 20);
    chat.end(T0 + 110);
    // A span charged by another span is not counted twice.
    const wrapped = tracer.startSpan(
      'chat gpt-4o',
      { startTime: T0 + 15, attributes: { 'gen_ai.usage.input_tokens': 1000, 'tollgate.cost.nanos': 4_500_000, 'tollgate.charged_by': 'x' } },
      ctx,
    );
    wrapped.end(T0 + 100);
    const tool = tracer.startSpan('execute_tool search', { startTime: T0 + 120, attributes: { 'gen_ai.usage.cost': 0.001 } }, ctx);
    tool.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
    tool.end(T0 + 150);
    root.end(T0 + 200);

    const traceId = root.spanContext().traceId;
    expect(ring.list()).toEqual([
      {
        traceId,
        rootName: 'invoke_agent planner',
        start: T0,
        durationMs: 200,
        spanCount: 4,
        costUsd: 0.0055,
        inputTokens: 1000,
        outputTokens: 200,
        status: 'ERROR',
      },
    ]);
    const detail = ring.get(traceId);
    expect(detail?.droppedSpans).toBe(0);
    expect(detail?.spans.map((s) => s.name)).toEqual(['invoke_agent planner', 'chat gpt-4o', 'chat gpt-4o', 'execute_tool search']);
    expect(detail?.spans[1]).toEqual({
      spanId: chat.spanContext().spanId,
      parentSpanId: root.spanContext().spanId,
      name: 'chat gpt-4o',
      kind: 'CLIENT',
      start: T0 + 10,
      end: T0 + 110,
      durationMs: 100,
      attributes: {
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 200,
        'tollgate.cost.nanos': 4_500_000,
        'gen_ai.usage.cost': 0.0045,
      },
      status: { code: 'UNSET' },
      events: [{ name: 'first_chunk', time: T0 + 20, attributes: { index: 0 } }],
    });
    expect(detail?.spans[0]?.parentSpanId).toBeUndefined();
    expect(detail?.spans[3]?.status).toEqual({ code: 'ERROR', message: 'timeout' });
    expect(JSON.parse(JSON.stringify(detail))).toEqual(detail);
    expect(ring.get('0'.repeat(32))).toBeUndefined();
  });

  it('keeps at most maxTraces traces, evicting the oldest, and lists newest first with a limit', () => {
    const ring = new TraceRing({ maxTraces: 3 });
    const tracer = tracerFor(ring);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const span = tracer.startSpan(`op-${i}`, { root: true, startTime: T0 + i });
      span.end(T0 + i + 1);
      ids.push(span.spanContext().traceId);
    }
    expect(ring.size).toBe(3);
    expect(ring.list().map((t) => t.rootName)).toEqual(['op-4', 'op-3', 'op-2']);
    expect(ring.list(2).map((t) => t.traceId)).toEqual([ids[4], ids[3]]);
    expect(ring.get(ids[0] ?? '')).toBeUndefined();
    expect(ring.get(ids[1] ?? '')).toBeUndefined();
  });

  it('bounds spans per trace and counts the ones it dropped; the summary still covers every span', () => {
    const ring = new TraceRing({ maxSpansPerTrace: 2 });
    const tracer = tracerFor(ring);
    const root = tracer.startSpan('root', { startTime: T0 });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 0; i < 4; i += 1) {
      tracer.startSpan(`child-${i}`, { startTime: T0 + i, attributes: { 'tollgate.cost.nanos': 1_000 } }, ctx).end(T0 + 10);
    }
    root.end(T0 + 20);
    const detail = ring.get(root.spanContext().traceId);
    expect(detail?.spans.map((s) => s.name)).toEqual(['child-0', 'child-1']);
    expect(detail?.droppedSpans).toBe(3);
    expect(detail).toMatchObject({ spanCount: 5, rootName: 'root', durationMs: 20, costUsd: 0.000004 });
  });

  it('keeps spans for the most recent detailTraces traces, summaries for maxTraces', () => {
    const ring = new TraceRing({ maxTraces: 4, detailTraces: 2 });
    const tracer = tracerFor(ring);
    const ids: string[] = [];
    for (let t = 0; t < 5; t += 1) {
      const root = tracer.startSpan(`root-${t}`, { root: true, startTime: T0 + t });
      tracer.startSpan(`child-${t}`, { startTime: T0 + t + 1 }, trace.setSpan(context.active(), root)).end(T0 + t + 2);
      root.end(T0 + t + 2);
      ids.push(root.spanContext().traceId);
    }
    expect(ring.list().map((t) => [t.rootName, t.spanCount])).toEqual([['root-4', 2], ['root-3', 2], ['root-2', 2], ['root-1', 2]]);
    expect(ring.get(ids[0] ?? '')).toBeUndefined();
    expect(ring.get(ids[4] ?? '')?.spans.map((s) => s.name)).toEqual(['root-4', 'child-4']);
    expect(ring.get(ids[3] ?? '')?.spans).toHaveLength(2);
    // Older traces keep their summary; their spans were let go.
    expect(ring.get(ids[2] ?? '')).toMatchObject({ rootName: 'root-2', spanCount: 2, droppedSpans: 2, spans: [] });
  });

  it('bounds spans over all traces: past maxSpans the oldest traces give up their spans first', () => {
    const ring = new TraceRing({ maxSpans: 5 });
    const tracer = tracerFor(ring);
    const traceIds: string[] = [];
    for (let t = 0; t < 4; t += 1) {
      const root = tracer.startSpan(`root-${t}`, { root: true, startTime: T0 });
      const ctx = trace.setSpan(context.active(), root);
      tracer.startSpan(`child-${t}`, { startTime: T0 + 1 }, ctx).end(T0 + 2);
      root.end(T0 + 3);
      traceIds.push(root.spanContext().traceId);
    }
    // 4 traces × 2 spans = 8 > 5: the two oldest traces let their spans go.
    expect(ring.size).toBe(4);
    expect(traceIds.map((id) => ring.get(id)?.spans.length)).toEqual([0, 0, 2, 2]);
    expect(ring.get(traceIds[0] ?? '')).toMatchObject({ spanCount: 2, droppedSpans: 2 });
  });

  it('finds the trace of interleaved spans of concurrent traces, children ending before their roots', () => {
    const ring = new TraceRing();
    const tracer = tracerFor(ring);
    const a = tracer.startSpan('task a', { root: true, startTime: T0 });
    const b = tracer.startSpan('task b', { root: true, startTime: T0 });
    const inA = trace.setSpan(context.active(), a);
    const inB = trace.setSpan(context.active(), b);
    const a1 = tracer.startSpan('a1', { startTime: T0 + 1 }, inA);
    const b1 = tracer.startSpan('b1', { startTime: T0 + 1 }, inB);
    const a2 = tracer.startSpan('a2', { startTime: T0 + 2 }, trace.setSpan(inA, a1));
    a2.end(T0 + 3);
    b1.end(T0 + 4);
    a1.end(T0 + 5);
    b.end(T0 + 6);
    a.end(T0 + 7);
    expect(ring.size).toBe(2);
    expect(ring.get(a.spanContext().traceId)).toMatchObject({ rootName: 'task a', spanCount: 3 });
    expect(ring.get(b.spanContext().traceId)).toMatchObject({ rootName: 'task b', spanCount: 2 });
    expect(ring.get(a.spanContext().traceId)?.spans.map((s) => s.name)).toEqual(['task a', 'a1', 'a2']);
  });

  it('gives a span that ends after its trace was evicted a new summary, without touching the trace that took its place', () => {
    const ring = new TraceRing({ maxTraces: 2 });
    const tracer = tracerFor(ring);
    const root = tracer.startSpan('long task', { root: true, startTime: T0 });
    tracer.startSpan('early child', { startTime: T0 + 1 }, trace.setSpan(context.active(), root)).end(T0 + 2);
    const others = [1, 2].map((i) => {
      const s = tracer.startSpan(`other-${i}`, { root: true, startTime: T0 + 10 + i });
      s.end(T0 + 20 + i);
      return s.spanContext().traceId;
    });
    // The long task's summary was evicted; its object now serves another trace.
    expect(ring.get(root.spanContext().traceId)).toBeUndefined();
    root.end(T0 + 100);
    expect(ring.get(root.spanContext().traceId)).toMatchObject({ rootName: 'long task', spanCount: 1 });
    expect(ring.size).toBe(2);
    expect(ring.get(others[1] as string)).toMatchObject({ rootName: 'other-2', spanCount: 1 });
    expect(ring.get(others[0] as string)).toBeUndefined();
  });

  it('joins spans whose parent is in another process to the trace already held, and spans fed without start too', () => {
    const ring = new TraceRing();
    const tracer = tracerFor(ring);
    const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true };
    const incoming = trace.setSpanContext(context.active(), remote);
    tracer.startSpan('server request 1', { startTime: T0 }, incoming).end(T0 + 1);
    tracer.startSpan('unrelated', { root: true, startTime: T0 }).end(T0 + 1);
    tracer.startSpan('server request 2', { startTime: T0 + 2 }, incoming).end(T0 + 3);
    expect(ring.size).toBe(2);
    expect(ring.get(remote.traceId)).toMatchObject({ spanCount: 2, rootName: 'server request 1' });
    // A ring fed ended spans only (no start) finds their trace by id.
    const fed = new TraceRing();
    const provider2 = new TracerProvider();
    const t2 = provider2.getTracer('fed');
    const r = t2.startSpan('root', { root: true, startTime: T0 });
    const c = t2.startSpan('child', { startTime: T0 + 1 }, trace.setSpan(context.active(), r));
    const other = t2.startSpan('other', { root: true, startTime: T0 });
    c.end(T0 + 2);
    other.end(T0 + 2);
    r.end(T0 + 3);
    for (const s of [c, other, r]) fed.add(s as unknown as Parameters<TraceRing['add']>[0]);
    expect(fed.size).toBe(2);
    expect(fed.get(r.spanContext().traceId)).toMatchObject({ spanCount: 2, rootName: 'root' });
  });

  it('rejects bad options at construction, naming the field', () => {
    expect(() => new TraceRing({ maxTraces: 0 })).toThrow(/"maxTraces"/);
    expect(() => new TraceRing({ maxSpansPerTrace: 1.5 })).toThrow(/"maxSpansPerTrace"/);
    expect(() => new TraceRing({ maxSpans: 0 })).toThrow(/"maxSpans"/);
    expect(() => new TraceRing({ detailTraces: -1 })).toThrow(/"detailTraces"/);
  });
});
