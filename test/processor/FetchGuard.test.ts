import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import { fetchGuardStatus } from '../../src/processor/FetchGuard.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { contribPatchesOpenAI } from '../helpers/contribOpenAI.js';
import { ensureContextManager } from '../helpers/otel.js';

// Spans of another instrumentation (the contrib OpenAI one, which catches a throw from startSpan
// and sends anyway) held to the same standard as tollgate's own calls, at the fetch guard.
const require = createRequire(import.meta.url);
/** The CommonJS openai module, required after the instrumentation is enabled (it patches through require hooks). */
const openaiModule = (): typeof import('openai') => require('openai') as typeof import('openai');
type OpenAIClient = import('openai').OpenAI;
type Fetch = typeof globalThis.fetch;

const instrumentation = new OpenAIInstrumentation();
const contrib = contribPatchesOpenAI(instrumentation);
instrumentation.setMeterProvider(metrics.getMeterProvider());
let fake: FakeOpenAI;
const pristine = globalThis.fetch;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  ensureContextManager();
  fake = await startFakeOpenAI({ outputTokens: 20 });
});
afterAll(async () => {
  instrumentation.disable();
  await fake.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  globalThis.fetch = pristine;
  fake.requests.length = 0;
});

function setup(budgets: BudgetSpec[]): { tollgate: Tollgate; exporter: InMemorySpanExporter } {
  let provider: TracerProvider | undefined;
  const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, quiet: true, budgets, tracerProvider: { getTracer: (n, v) => provider!.getTracer(n, v) } });
  const exporter = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  cleanups.push(async () => {
    await provider.shutdown();
    await tollgate.shutdown();
  });
  return { tollgate, exporter };
}

const client = (): OpenAIClient => new (openaiModule().OpenAI)({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
const chat = (c: OpenAIClient, content = 'hello there') => c.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content }] });

/** What nock and msw do: a fetch that answers some requests itself and never calls the one it replaced. */
function mockingFetch(): Fetch {
  return async () =>
    new Response(
      JSON.stringify({
        id: 'chatcmpl-mock',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'mocked' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );
}

describe.skipIf(!contrib.patched)(`the fetch guard, for spans of other instrumentations; needs ${contrib.reason}`, () => {
  it('reserves the input it reads from the body: a long prompt is refused where the output alone would fit', async () => {
    // gpt-4o-mini: $0.15 / $0.60 per 1M. 20 output tokens cost 12,000 nanos; the prompt below ~300,000.
    const { tollgate } = setup([{ scope: 'daily', maxUsd: 0.0001 }]);
    const err = await chat(client(), 'word '.repeat(2_000)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 402 });
    expect(fake.requests).toHaveLength(0);
    const [denied] = await tollgate.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
    // A short one fits, and is charged what it reported.
    await chat(client(), 'hi');
    expect(fake.requests).toHaveLength(1);
  });

  it('reserves for embeddings too (input only)', async () => {
    const { tollgate } = setup([{ scope: 'daily', maxUsd: 0.00001 }]);
    const c = client();
    const err = await c.embeddings.create({ model: 'text-embedding-3-small', input: 'token '.repeat(1_000) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 402 });
    expect(fake.requests).toHaveLength(0);
    await tollgate.forceFlush();
  });

  it('a stream without include_usage is charged from what the guard saw, marked estimated, never $0', async () => {
    const { tollgate, exporter } = setup([]);
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count to twenty' }] });
    for await (const chunk of stream) void chunk;
    await tollgate.forceFlush();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(span.attributes['gen_ai.usage.cost.source']).toBe('estimated');
    expect(span.attributes['tollgate.cost.nanos']).toBeGreaterThan(0);
    const [row] = await tollgate.usage({ by: 'model' });
    expect(row?.costNanos).toBeGreaterThan(0);
    expect(row?.outputTokens).toBeGreaterThan(0);
  });

  it("a stream another instrumentation's client aborts is settled when that instrumentation ends its span (the guard settles only the AI SDK's aborts itself)", async () => {
    const { tollgate, exporter } = setup([{ scope: 'daily', maxUsd: 1 }]);
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count to twenty' }] });
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        void chunk;
        if (++chunks === 3) stream.controller.abort();
      }
    } catch (err: unknown) {
      void err; // the SDK's abort error
    }
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === 'chat gpt-4o-mini')).toBe(true);
    await tollgate.forceFlush();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini')!;
    const records = await tollgate.ledger.records({ limit: 10 });
    expect(records).toHaveLength(1);
    // As the instrumentation's span says (it ends it without an error), not an AbortError made up at the guard.
    expect(span.attributes['error.type']).toBeUndefined();
    expect(records[0]).toMatchObject({ status: 'ok', spanId: span.spanContext().spanId });
    expect(records[0]?.metadata?.errorType).toBeUndefined();
    const [status] = await tollgate.budgetStatus();
    expect(status?.reservedUsd).toBe(0);
  });

  it('a fetch that wraps the guard after it keeps it: denied calls are not sent', async () => {
    setup([{ scope: 'daily', maxUsd: 0.000001 }]);
    const guarded = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
      seen.push(String(input));
      return guarded(input, init);
    }) as Fetch;
    const err = await chat(client()).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 402 });
    expect(seen).toHaveLength(1);
    expect(fake.requests).toHaveLength(0);
  });

  it('a request passes two guards (fetch wrapped around the guard, then re-wrapped) and is admitted and observed once', async () => {
    const { tollgate } = setup([]);
    const streamed = async (): Promise<void> => {
      const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] });
      for await (const chunk of stream) void chunk;
    };
    await streamed();
    const guarded = globalThis.fetch;
    globalThis.fetch = ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => guarded(input, init)) as Fetch;
    await streamed(); // the guard re-wraps the new fetch at this span's start
    await streamed(); // a client created now goes through two guards
    await tollgate.forceFlush();
    const records = (await tollgate.ledger.records({ limit: 10 })).filter((r) => r.status === 'ok');
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.outputTokens)).size).toBe(1);
    expect(new Set(records.map((r) => r.costNanos)).size).toBe(1);
  });

  it('a mocking fetch installed after the guard: the call it answers is charged its real usage and reported; the guard wraps it, so clients made next are held', async () => {
    const { tollgate } = setup([{ scope: 'daily', maxUsd: 0.000001 }]);
    globalThis.fetch = mockingFetch();
    const early = client(); // captured the mocking fetch: tollgate cannot hold its requests
    await expect(chat(early)).resolves.toMatchObject({ id: 'chatcmpl-mock' });
    await tollgate.forceFlush();
    const [row] = await tollgate.usage({ by: 'status', where: { status: 'ok' } });
    expect(row).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 100, costNanos: 1000 * 150 + 100 * 600 });
    const kinds = tollgate.problems.list().map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining(['fetch_guard']));
    expect(fetchGuardStatus().displaced).toBe(false); // re-wrapped at the span's start
    const late = client(); // created after: goes through the guard first
    const err = await chat(late).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 402 });
    const [denied] = await tollgate.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
  });

  it('a call that was refused but reached the provider anyway is charged its real usage and flagged', async () => {
    const { tollgate, exporter } = setup([{ scope: 'daily', maxUsd: 0.000001 }]);
    const mock = mockingFetch();
    // A client whose transport ignores the guard's 402 and answers anyway (a misbehaving proxy or retry layer).
    const stubborn = new (openaiModule().OpenAI)({
      baseURL: fake.baseURL,
      apiKey: 'test',
      maxRetries: 0,
      fetch: (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
        const first = await globalThis.fetch(input, init);
        return first.status === 402 ? mock(input, init) : first;
      }) as Fetch,
    });
    await expect(chat(stubborn)).resolves.toMatchObject({ id: 'chatcmpl-mock' });
    await tollgate.forceFlush();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(span.attributes['tollgate.enforcement.bypassed']).toBe(true);
    expect(span.attributes['tollgate.cost.nanos']).toBe(1000 * 150 + 100 * 600);
    const records = await tollgate.ledger.records({ limit: 10 });
    const charged = records.find((r) => r.status === 'ok');
    expect(charged).toMatchObject({ costNanos: 1000 * 150 + 100 * 600, metadata: expect.objectContaining({ bypassed: true }) });
    expect(tollgate.problems.list().map((p) => p.kind)).toContain('enforcement_bypassed');
  });
});

// These two need no span of the contrib instrumentation: they run with every openai.
describe('the fetch guard and a fetch installed after it', () => {
  it('/healthz says when fetch was replaced after the guard', async () => {
    const { tollgate } = setup([]);
    globalThis.fetch = mockingFetch();
    const res = await new Promise<{ ok: boolean; checks: Record<string, { ok: boolean; error?: string }> }>((resolve) => {
      const out = { statusCode: 0, body: '' };
      const resStub = {
        writeHead: (code: number) => {
          out.statusCode = code;
          return resStub;
        },
        setHeader: () => undefined,
        end: (body: string) => resolve(JSON.parse(body) as never),
      };
      tollgate.requestHandler({ method: 'GET', url: '/healthz', headers: {} } as never, resStub as never);
    });
    expect(res.checks['fetchGuard']).toMatchObject({ ok: false });
    expect(res.checks['fetchGuard']?.error).toContain('replaced');
  });

  it('uninstalling the guard leaves a fetch installed after it in place', async () => {
    const { tollgate } = setup([]);
    const later = mockingFetch();
    globalThis.fetch = later;
    await tollgate.shutdown();
    expect(globalThis.fetch).toBe(later);
  });
});
