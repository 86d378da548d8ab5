import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  TracerProvider,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate, type TollgateOptions } from '../../src/createTollgate.js';
import { TollgateSampler } from '../../src/otel/TollgateSampler.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { contribPatchesOpenAI } from '../helpers/contribOpenAI.js';
import { ensureContextManager, makeTestTollgate, type TestTollgate } from '../helpers/otel.js';

// The contrib instrumentation patches the CommonJS `openai` module through require hooks.
const require = createRequire(import.meta.url);

let t: TestTollgate | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

describe('sampling never switches budgets off', () => {
  it('charges every call and still denies under TraceIdRatioBasedSampler(0.01); ~1 % exported', async () => {
    // 1,000 in + 500 out of gpt-4o-mini = 450,000 nano-USD; the budget holds exactly 1,000 calls.
    t = makeTestTollgate(
      { budgets: [{ scope: 'daily', maxUsd: 0.45, onExceed: 'deny' }] },
      { sampler: new TollgateSampler(new TraceIdRatioBasedSampler(0.01)) },
    );
    for (let i = 0; i < 1000; i++) {
      await t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 500, inputTokens: 1000 }, (c) => c.setUsage({ input: 1000, output: 500 }));
    }
    await expect(t.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 500, inputTokens: 1000 }, () => 'never')).rejects.toBeInstanceOf(BudgetExceededError);
    const [all] = await t.tollgate.usage({ by: 'provider', where: { status: 'ok' } });
    expect(all).toMatchObject({ key: 'openai', calls: 1000, costNanos: 450_000_000 });
    const exported = t.spans().length;
    expect(exported).toBeGreaterThan(0);
    expect(exported).toBeLessThan(40);
    const text = await t.tollgate.metrics.metricsText();
    expect(text).toContain('tokens_input_total{provider="openai",model="gpt-4o-mini"} 1000000');
  });
});

describe('the recent-traces ring', () => {
  it('links every span the processor starts to its trace: a task and its calls are one trace, apart from a concurrent one', async () => {
    t = makeTestTollgate();
    const tg = t.tollgate;
    const run = (id: string) =>
      tg.task(id, async () => {
        await tg.llm({ model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 5 }));
        tg.tool('search', () => 1);
        await tg.llm({ model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 5 }));
      });
    await Promise.all([run('T-1'), run('T-2')]);
    const listed = tg.traces.list();
    expect(listed.map((x) => [x.rootName, x.spanCount]).sort()).toEqual([
      ['task T-1', 4],
      ['task T-2', 4],
    ]);
    const one = tg.traces.get(listed[0]?.traceId as string);
    expect(one?.spans.map((x) => x.name).sort()).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini', 'execute_tool search', 'invoke_agent task'].sort());
  });
});

describe('telemetry failures never reach the host', () => {
  it('an exporter that throws on every export does not fail calls', async () => {
    const throwing: SpanExporter = {
      export: () => {
        throw new Error('collector down');
      },
      shutdown: async () => undefined,
    };
    const failing: SpanExporter = {
      export: (_spans: ReadableSpan[], done) => done({ code: ExportResultCode.FAILED, error: new Error('503') }),
      shutdown: async () => undefined,
    };
    ensureContextManager();
    let provider: TracerProvider | undefined;
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false, tracerProvider: { getTracer: (n, v) => provider!.getTracer(n, v) } });
    provider = new TracerProvider({
      spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: throwing }), new BatchSpanProcessor({ exporter: failing, scheduledDelayMillis: 1 }), new SimpleSpanProcessor({ exporter: failing })],
    });
    for (let i = 0; i < 20; i++) {
      const r = await tollgate.llm({ model: 'gpt-4o-mini' }, (c) => {
        c.setUsage({ input: 10, output: 10 });
        return i;
      });
      expect(r).toBe(i);
      expect(tollgate.tool('t', () => i)).toBe(i);
    }
    await provider.forceFlush().catch(() => undefined);
    const [row] = await tollgate.usage({ by: 'operation', where: { operation: 'chat' } });
    expect(row?.calls).toBe(20);
    await provider.shutdown().catch(() => undefined);
    await tollgate.shutdown();
  });

  it('a broken metrics sink is counted, not thrown', async () => {
    t = makeTestTollgate();
    const off = t.tollgate.on('usage', () => {
      throw new Error('listener bug');
    });
    await expect(t.tollgate.llm({ model: 'gpt-4o-mini' }, () => 'fine')).resolves.toBe('fine');
    off();
  });
});

const contribInstrumentation = new OpenAIInstrumentation();
const contrib = contribPatchesOpenAI(contribInstrumentation);

describe.skipIf(!contrib.patched)(`spans of other instrumentations (@opentelemetry/instrumentation-openai), needs ${contrib.reason}`, () => {
  let fake: FakeOpenAI;
  const instrumentation = contribInstrumentation;
  // This version leaves its metric instruments unset until a meter provider is given
  // (its class fields reset what the base constructor created); give it the global no-op one.
  instrumentation.setMeterProvider(metrics.getMeterProvider());
  beforeAll(async () => {
    fake = await startFakeOpenAI({ outputTokens: 20 });
  });
  afterAll(async () => {
    instrumentation.disable();
    await fake.close();
  });

  function setup(budgetUsd?: number, budgets: import('../../src/core/Budget.js').BudgetSpec[] = [], extra: Partial<TollgateOptions> = {}) {
    ensureContextManager();
    let provider: TracerProvider | undefined;
    const tollgate = createTollgate({
      store: 'memory:',
      configFile: false,
      env: {},
      guardFetch: true,
      tracerProvider: { getTracer: (n, v) => provider!.getTracer(n, v) },
      budgets: budgetUsd !== undefined ? [{ scope: 'daily', maxUsd: budgetUsd, onExceed: 'deny' }] : budgets,
      ...extra,
    });
    const exporter = new (require('@opentelemetry/sdk-trace').InMemorySpanExporter)();
    provider = new TracerProvider({ spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
    const { OpenAI } = require('openai') as typeof import('openai');
    // Constructed after the fetch guard is installed (SDKs capture fetch at construction).
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    return { tollgate, client, exporter: exporter as import('@opentelemetry/sdk-trace').InMemorySpanExporter, provider };
  }

  it('prices and charges a contrib span with no tollgate wrapper', async () => {
    const { tollgate, client, exporter, provider } = setup();
    fake.requests.length = 0;
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four' }] });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    expect(span?.instrumentationScope.name).toBe('@opentelemetry/instrumentation-openai');
    const input = res.usage!.prompt_tokens;
    const output = res.usage!.completion_tokens;
    const nanos = input * 150 + output * 600; // $0.15 / $0.60 per 1M = 150 / 600 nano-USD per token
    expect(span?.attributes['tollgate.cost.nanos']).toBe(nanos);
    const [row] = await tollgate.usage({ by: 'model' });
    expect(row).toMatchObject({ calls: 1, inputTokens: input, outputTokens: output, costNanos: nanos });
    await provider.shutdown();
    await tollgate.shutdown();
  });

  it('denies a contrib call before the request reaches the server when the budget is spent', async () => {
    const { tollgate, client, provider } = setup(0.000001);
    await tollgate.llm({ model: 'gpt-4o-mini', inputTokens: 1, maxTokens: 0 }, (c) => c.setUsage({ input: 10, output: 0 })); // spends $0.0000015
    fake.requests.length = 0;
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(fake.requests).toHaveLength(0);
    expect(err).toMatchObject({ status: 402 });
    expect((err as Error).message).toContain('budget');
    const denied = await tollgate.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied[0]?.calls).toBe(1);
    await provider.shutdown();
    await tollgate.shutdown();
  });

  it('re-routes a contrib call to the fallback model at fetch, and prices what was used', async () => {
    const { tollgate, client, exporter, provider } = setup(undefined, [{ scope: 'daily', maxUsd: 0.005, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }]);
    fake.requests.length = 0;
    // gpt-4o with the default 4,096 output tokens reserved needs ~$0.041: over the budget; gpt-4o-mini fits.
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    expect(fake.requests).toHaveLength(1);
    expect((fake.requests[0]!.body as { model: string }).model).toBe('gpt-4o-mini');
    expect(res.model).toBe('gpt-4o-mini');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o')!;
    expect(span.attributes).toMatchObject({ 'tollgate.decision': 'fallback', 'tollgate.fallback_model': 'gpt-4o-mini', 'gen_ai.response.model': 'gpt-4o-mini' });
    expect(span.attributes['tollgate.cost.nanos']).toBe(res.usage!.prompt_tokens * 150 + res.usage!.completion_tokens * 600);
    await provider.shutdown();
    await tollgate.shutdown();
  });

  it('charges exactly once when a tollgate wrapper encloses a contrib span of the same call', async () => {
    const { tollgate, client, exporter, provider } = setup();
    const res = await tollgate.llm({ model: 'gpt-4o-mini', usage: (r: { usage?: { prompt_tokens: number; completion_tokens: number } | null }) => ({ input: r.usage!.prompt_tokens, output: r.usage!.completion_tokens }) }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a b c' }] }),
    );
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'chat gpt-4o-mini');
    expect(spans).toHaveLength(2);
    const inner = spans.find((s) => s.instrumentationScope.name !== 'tollgate')!;
    const outer = spans.find((s) => s.instrumentationScope.name === 'tollgate')!;
    expect(inner.attributes['tollgate.charged_by']).toBe(outer.spanContext().spanId);
    expect(inner.attributes['tollgate.cost.nanos']).toBeUndefined();
    const rows = await tollgate.usage({ by: 'model' });
    expect(rows).toEqual([expect.objectContaining({ calls: 1, inputTokens: res.usage!.prompt_tokens })]);
    await provider.shutdown();
    await tollgate.shutdown();
  });

  /** A meter provider that both the contrib instrumentation and tollgate record on; data points per scope and metric. */
  function sharedMeters() {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    instrumentation.setMeterProvider(meterProvider);
    return {
      meterProvider,
      async points(): Promise<Record<string, number>> {
        await reader.forceFlush();
        const out: Record<string, number> = {};
        for (const scope of exporter.getMetrics().at(-1)?.scopeMetrics ?? []) {
          for (const m of scope.metrics) {
            const n = m.dataPoints.reduce((sum, p) => sum + (typeof p.value === 'number' ? 1 : (p.value as { count: number }).count), 0);
            if (n > 0) out[`${scope.scope.name} ${m.descriptor.name}`] = n;
          }
        }
        return out;
      },
      async close(): Promise<void> {
        instrumentation.setMeterProvider(metrics.getMeterProvider());
        await meterProvider.shutdown();
      },
    };
  }

  it('records no second gen_ai.client.* series for a contrib call that measures itself; tollgate.cost still counts it', async () => {
    const meters = sharedMeters();
    const { tollgate, client, provider } = setup(undefined, [], { meterProvider: meters.meterProvider });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }] });
    expect(await meters.points()).toEqual({
      '@opentelemetry/instrumentation-openai gen_ai.client.token.usage': 2, // one input, one output observation
      '@opentelemetry/instrumentation-openai gen_ai.client.operation.duration': 1,
      'tollgate tollgate.cost': 1,
    });
    await provider.shutdown();
    await tollgate.shutdown();
    await meters.close();
  });

  it('records no second gen_ai.client.* series when instrumentOpenAI and the contrib instrumentation both describe the call', async () => {
    const meters = sharedMeters();
    const { tollgate, client, provider } = setup(undefined, [], { meterProvider: meters.meterProvider });
    await instrumentOpenAI(client, tollgate).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two' }] });
    const points = await meters.points();
    expect(Object.keys(points).filter((k) => k.startsWith('tollgate gen_ai.client.'))).toEqual([]);
    expect(points['@opentelemetry/instrumentation-openai gen_ai.client.token.usage']).toBe(2);
    expect(points['tollgate tollgate.cost']).toBe(1);
    await provider.shutdown();
    await tollgate.shutdown();
    await meters.close();
  });

  it('charges exactly once when instrumentOpenAI and the contrib instrumentation both describe the call', async () => {
    const { tollgate, client, exporter, provider } = setup();
    const wrapped = instrumentOpenAI(client, tollgate);
    const res = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two' }] });
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'chat gpt-4o-mini');
    expect(spans.map((s) => s.instrumentationScope.name).sort()).toEqual(['@opentelemetry/instrumentation-openai', 'tollgate']);
    const ours = spans.find((s) => s.instrumentationScope.name === 'tollgate')!;
    const theirs = spans.find((s) => s.instrumentationScope.name !== 'tollgate')!;
    expect(theirs.parentSpanContext?.spanId).toBe(ours.spanContext().spanId);
    expect(theirs.attributes['tollgate.charged_by']).toBe(ours.spanContext().spanId);
    const nanos = res.usage!.prompt_tokens * 150 + res.usage!.completion_tokens * 600;
    expect(ours.attributes['tollgate.cost.nanos']).toBe(nanos);
    const rows = await tollgate.usage({ by: 'model' });
    expect(rows).toEqual([expect.objectContaining({ calls: 1, costNanos: nanos })]);
    await provider.shutdown();
    await tollgate.shutdown();
  });

  it("reports once when another instrumentation's model calls go out under spans the sampler dropped", async () => {
    const { AlwaysOffSampler } = await import('@opentelemetry/sdk-trace');
    ensureContextManager();
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let provider: TracerProvider | undefined;
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: true, tracerProvider: { getTracer: (n, v) => provider!.getTracer(n, v) } });
    // The host's sampler is not wrapped with tollgateSampler: the contrib spans are NOT_RECORD.
    provider = new TracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [tollgate.spanProcessor] });
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
    try {
      const { OpenAI } = require('openai') as typeof import('openai');
      const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one' }] });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'two' }] });
      const ours = lines.filter((l) => l.includes('[unbudgeted_span]'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toContain('tollgateSampler');
      expect(await tollgate.metrics.metricsText()).toContain('tollgate_problems_total{kind="unbudgeted_span"} 2');
    } finally {
      spy.mockRestore();
      await provider.shutdown();
      await tollgate.shutdown();
    }
  });
});
