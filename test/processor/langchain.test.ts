/**
 * LangChain.js (`@langchain/openai` + `@langchain/core`) against the fake OpenAI server. LangChain
 * makes no spans of its own; the OpenTelemetry OpenAI instrumentation patches the `openai`
 * client inside ChatOpenAI, and tollgate prices, charges and caps those spans (the fetch guard
 * refuses a denied call with 402 before it leaves the process; LangChain does not retry a 402).
 */
import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { budgetExceededFrom } from '../../src/core/budgetExceededFrom.js';
import { createTollgate, type Tollgate } from '../../src/createTollgate.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';

// The contrib instrumentation patches the CommonJS `openai` module (the copy @langchain/openai
// loads) through require hooks: load LangChain with require, after enabling it.
const require = createRequire(import.meta.url);
type LangChainOpenAI = typeof import('@langchain/openai');

/** gpt-4o-mini: $0.15 / $0.60 per 1M tokens = 150 / 600 nano-USD per token. */
const MINI_IN = 150;
const MINI_OUT = 600;

describe('LangChain.js (ChatOpenAI through @opentelemetry/instrumentation-openai)', () => {
  let fake: FakeOpenAI;
  let tollgate: Tollgate | undefined;
  let provider: TracerProvider | undefined;
  const instrumentation = new OpenAIInstrumentation();
  // Its metric instruments stay unset until a meter provider is given: give it the global no-op one.
  instrumentation.setMeterProvider(metrics.getMeterProvider());

  beforeAll(async () => {
    fake = await startFakeOpenAI({ outputTokens: 6 });
  });
  afterAll(async () => {
    instrumentation.disable();
    await fake.close();
  });
  afterEach(async () => {
    await provider?.shutdown();
    await tollgate?.shutdown();
    provider = undefined;
    tollgate = undefined;
  });

  function setup(maxUsd = 1) {
    ensureContextManager();
    const t = createTollgate({ store: 'memory:', configFile: false, env: {}, budgets: [{ id: 'day', scope: 'daily', maxUsd, onExceed: 'deny' }] });
    const exporter = new InMemorySpanExporter();
    const p = new TracerProvider({ spanProcessors: [t.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
    tollgate = t;
    provider = p;
    instrumentation.setTracerProvider(p);
    instrumentation.enable();
    const { ChatOpenAI } = require('@langchain/openai') as LangChainOpenAI;
    const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'test', maxTokens: 50, maxRetries: 0, configuration: { baseURL: fake.baseURL } });
    return { tollgate: t, model, exporter };
  }

  it('invoke: the call is priced on its span and charged', async () => {
    const { tollgate: t, model, exporter } = setup();
    const reply = await model.invoke('one two three four');
    expect(reply.content).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
    const input = reply.usage_metadata?.input_tokens ?? -1;
    expect(reply.usage_metadata?.output_tokens).toBe(6);
    const cost = input * MINI_IN + 6 * MINI_OUT;
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    expect(span?.instrumentationScope.name).toBe('@opentelemetry/instrumentation-openai');
    expect(span?.attributes['tollgate.cost.nanos']).toBe(cost);
    const [row] = await t.usage({ by: 'model' });
    expect(row).toMatchObject({ key: 'gpt-4o-mini', calls: 1, inputTokens: input, outputTokens: 6, costNanos: cost });
  });

  it('stream: the streamed call is charged with the usage LangChain asks for', async () => {
    const { tollgate: t, model } = setup();
    let text = '';
    for await (const chunk of await model.stream('one two three four')) text += typeof chunk.content === 'string' ? chunk.content : '';
    expect(text).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
    await expect.poll(async () => (await t.usage({ by: 'model' }))[0]).toMatchObject({ calls: 1, outputTokens: 6 });
  });

  it('over a spent budget: nothing is sent, no retry, and budgetExceededFrom(err) gives the BudgetExceededError', async () => {
    const { tollgate: t, model } = setup(0.000001);
    const before = fake.requests.length;
    const err = await model.invoke('one two three four').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 402 });
    const refusal = budgetExceededFrom(err);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect(refusal).toMatchObject({ budgetId: 'day', scope: 'daily', action: 'deny', limitUsd: 0.000001, model: 'gpt-4o-mini' });
    expect(fake.requests.length).toBe(before);
    const [denied] = await t.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
  });
});
