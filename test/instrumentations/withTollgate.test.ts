import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { context } from '@opentelemetry/api';
import type { Tracer, TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../instrumentations/anthropic/index.js';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import { startFakeAnthropic } from '../fakes/index.js';
import type { FakeAnthropic } from '../fakes/index.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { asyncLedger } from '../budget/engineHarness.js';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'name three colours' }];

interface Setup {
  tollgate: Tollgate;
  exporter: InMemorySpanExporter;
  openai: OpenAI;
  anthropic: Anthropic;
}

describe('instrumentations with createTollgate (memory store)', () => {
  let fakeOpenAI: FakeOpenAI;
  let fakeAnthropic: FakeAnthropic;
  const open: Tollgate[] = [];

  beforeAll(async () => {
    // tollgate.task() attributes calls through the active context
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    fakeOpenAI = await startFakeOpenAI({ outputTokens: 4, cachedTokens: 1 });
    fakeAnthropic = await startFakeAnthropic({ outputTokens: 4, cacheCreationTokens: 10, cacheReadTokens: 20 });
  });
  afterAll(async () => {
    await Promise.all([fakeOpenAI.close(), fakeAnthropic.close()]);
    context.disable();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.shutdown()));
  });

  function setup(budgets: BudgetSpec[] = [], asyncStore = false): Setup {
    let provider: TracerProvider | undefined;
    const lazy: ApiTracerProvider = { getTracer: (name: string, version?: string): Tracer => provider!.getTracer(name, version) };
    const tollgate = createTollgate({ store: 'memory:', budgets, configFile: false, env: {}, guardFetch: false, tracerProvider: lazy,
      // A store that answers with promises, as Redis does: admission is decided after create() returned.
      ...(asyncStore ? { ledger: asyncLedger(new MemoryLedger()) } : {}),
    });
    open.push(tollgate);
    const exporter = new InMemorySpanExporter();
    provider = new TracerProvider({ spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
    const openai = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    const anthropic = instrumentAnthropic(new Anthropic({ baseURL: fakeAnthropic.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    return { tollgate, exporter, openai, anthropic };
  }

  it('prices the exact tokens the fake reported (OpenAI stream, Anthropic with cache parts)', async () => {
    const { tollgate, exporter, openai, anthropic } = setup();
    for await (const chunk of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) void chunk;
    await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi there' }] });
    const [chat, claude] = exporter.getFinishedSpans();
    expect(chat!.attributes['tollgate.cost.nanos']).toBe(tollgate.costNanos('openai', 'gpt-4o', { input: 3, output: 4, cacheRead: 1 }));
    expect(chat!.attributes['tollgate.cost.nanos']).toBeGreaterThan(0);
    expect(claude!.attributes['tollgate.cost.nanos']).toBe(
      tollgate.costNanos('anthropic', 'claude-sonnet-4-5', { input: 32, output: 4, cacheRead: 20, cacheWrite: 10 }),
    );
  });

  it('a provider error settles at 0 and keeps the SDK error', async () => {
    const { exporter, openai } = setup();
    fakeOpenAI.script({ error: { status: 429 } });
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['error.type']).toBe('RateLimitError');
    expect(span!.attributes['tollgate.cost.nanos'] ?? 0).toBe(0);
  });

  it('a deny budget: BudgetExceededError and no request reaches the server', async () => {
    const { openai } = setup([{ scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }]);
    const before = fakeOpenAI.requests.length;
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(fakeOpenAI.requests.length).toBe(before);
  });

  it('fallback: the request that reaches the server carries the fallback model', async () => {
    const { tollgate, exporter, openai } = setup([{ scope: 'task', maxUsd: 0.005, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }]);
    const completion = await tollgate.task('T-1', () => openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 }));
    expect(fakeOpenAI.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(completion.model).toBe('gpt-4o-mini');
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes).toMatchObject({ 'tollgate.decision': 'fallback', 'tollgate.fallback_model': 'gpt-4o-mini' });
  });

  it('an asynchronous store (like Redis): the request waits for admission; a deny sends nothing, a fallback swaps the model', async () => {
    const denied = setup([{ scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }], true);
    const before = fakeOpenAI.requests.length;
    await expect(denied.openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fakeOpenAI.requests.length).toBe(before);

    const { tollgate, openai } = setup([{ scope: 'task', maxUsd: 0.005, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' }], true);
    const completion = await tollgate.task('T-1', () => openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 }));
    expect(fakeOpenAI.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(completion.model).toBe('gpt-4o-mini');
    await tollgate.forceFlush();
    expect((await tollgate.usage({ by: 'model' }))[0]).toMatchObject({ key: 'gpt-4o-mini', calls: 1 });
  });

  it('stream cut-off: a provider that ignores the output limit is stopped at the request budget; settled cost within one chunk of the cap', async () => {
    const limitUsd = 0.0002;
    // No max_tokens: the request gets the output limit that fits the request budget; the provider ignores it and goes on for 1000.
    const { tollgate, exporter, openai } = setup([{ id: 'per-call', scope: 'request', maxUsd: limitUsd, onExceed: 'deny' }]);
    fakeOpenAI.script({ outputTokens: 1000, ignoreMaxTokens: true });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const failure = await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BudgetExceededError);
    expect(failure).toMatchObject({ budgetId: 'per-call', scope: 'request', limitUsd, action: 'deny' });
    const [span] = exporter.getFinishedSpans();
    const outputLimit = span!.attributes['tollgate.request.output_limit_set'];
    expect(outputLimit).toBeTypeOf('number');
    expect(fakeOpenAI.requests.at(-1)?.body).toMatchObject({ max_tokens: outputLimit });
    const settled = span!.attributes['tollgate.cost.nanos'] as number;
    const perChunk = tollgate.costNanos('openai', 'gpt-4o', { input: 0, output: 1 });
    expect(span!.attributes['tollgate.status']).toBe('cost_exceeded');
    expect(settled).toBeGreaterThan(limitUsd * 1e9);
    expect(settled - limitUsd * 1e9).toBeLessThanOrEqual(perChunk);
  });

  it('an abandoned stream ends its span and settles what was used', async () => {
    const { exporter, openai } = setup([{ scope: 'daily', maxUsd: 10, onExceed: 'deny' }]);
    fakeOpenAI.script({ outputTokens: 100 });
    for await (const chunk of await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) {
      void chunk;
      break;
    }
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBe(0);
    expect(span!.attributes['tollgate.cost.nanos']).toBeGreaterThan(0);
  });

  it("attribution per client and per request: Anthropic's metadata.user_id and OpenAI's user name the call's user; the client's team and key (hashed) ride along", async () => {
    const { tollgate, exporter } = setup([{ scope: 'daily', per: 'user', maxUsd: 10 }]);
    const anthropic = instrumentAnthropic(new Anthropic({ baseURL: fakeAnthropic.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate, {
      attribution: { team: 'support', apiKey: 'sk-ant-client-key', tags: ['chat'] },
    });
    const openai = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate, { attribution: { team: 'search' } });
    await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, metadata: { user_id: 'u-42' }, messages: [{ role: 'user', content: 'hi' }] });
    await openai.chat.completions.create({ model: 'gpt-4o', messages, user: 'u-7' });
    await tollgate.forceFlush();
    const [claude, chat] = exporter.getFinishedSpans();
    expect(claude!.attributes).toMatchObject({ 'user.id': 'u-42', 'tollgate.team.id': 'support', 'tollgate.api_key.hash': apiKeyHash('sk-ant-client-key'), 'tollgate.tags': ['chat'] });
    expect(chat!.attributes).toMatchObject({ 'user.id': 'u-7', 'tollgate.team.id': 'search' });
    expect((await tollgate.usage({ by: 'user' })).map((g) => g.key).sort()).toEqual(['u-42', 'u-7']);
    expect((await tollgate.budgetStatus()).map((s) => s.key).sort()).toEqual(['user=u-42', 'user=u-7']);
  });
});
