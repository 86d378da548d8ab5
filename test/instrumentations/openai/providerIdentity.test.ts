import { findProvider } from '@pydantic/genai-prices';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import type { BudgetSpec } from '../../../src/core/Budget.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import type { TestTollgate } from '../../helpers/otel.js';

const INPUT = 1_000;
const OUTPUT = 500;
const GROQ_MODEL = 'llama-3.3-70b-versatile';
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

/** Groq's published rate for the model, from the price data, as integer nano-USD per token. */
function groqNanosPerToken(): { input: number; output: number } {
  const model = findProvider({ providerId: 'groq' })?.models.find((m) => m.id === GROQ_MODEL);
  const prices = model?.prices as { input_mtok: number; output_mtok: number };
  return { input: Math.round(prices.input_mtok * 1000), output: Math.round(prices.output_mtok * 1000) };
}

describe('instrumentOpenAI: the provider of an OpenAI-compatible client', () => {
  let fake: FakeOpenAI;
  const open: TestTollgate[] = [];
  const tollgateWith = (budgets: BudgetSpec[] = []): TestTollgate => {
    const t = makeTestTollgate({ budgets, quiet: true });
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI({ inputTokens: INPUT, outputTokens: OUTPUT });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    for (const t of open.splice(0)) await t.shutdown();
  });

  it("provider: 'groq' reaches the span, the ledger, the price and the metric labels", async () => {
    const t = tollgateWith();
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate, { provider: 'groq' });
    await client.chat.completions.create({ model: GROQ_MODEL, messages, max_tokens: OUTPUT });
    await t.tollgate.forceFlush();
    const [span] = t.spans();
    expect(span?.attributes['gen_ai.provider.name']).toBe('groq');
    const rate = groqNanosPerToken();
    const expected = INPUT * rate.input + OUTPUT * rate.output;
    const [record] = await t.tollgate.ledger.records({ limit: 10 });
    expect(record).toMatchObject({ provider: 'groq', model: GROQ_MODEL, inputTokens: INPUT, outputTokens: OUTPUT, costNanos: expected });
    expect(span?.attributes['gen_ai.usage.cost']).toBeCloseTo(expected / 1e9, 12);
    expect(await t.tollgate.metrics.metricsText()).toContain(`llm_calls_total{provider="groq",model="${GROQ_MODEL}",status="ok"} 1`);
  });

  it("a provider: 'groq' deny budget applies to the Groq calls and not to OpenAI's", async () => {
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.000001, onExceed: 'deny', provider: 'groq' }]);
    const groq = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate, { provider: 'groq' });
    const openai = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    const before = fake.requests.length;
    await expect(groq.chat.completions.create({ model: GROQ_MODEL, messages, max_tokens: OUTPUT })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: OUTPUT })).resolves.toBeDefined();
    await t.tollgate.forceFlush();
    const records = await t.tollgate.ledger.records({ limit: 10 });
    expect(records.map((r) => [r.provider, r.status]).sort()).toEqual([
      ['groq', 'denied'],
      ['openai', 'ok'],
    ]);
  });

  it('the provider is read from the base URL (a custom fetch sends the Groq host to the fake server)', async () => {
    const t = tollgateWith();
    const target = new URL(fake.baseURL);
    const toFake: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      url.protocol = target.protocol;
      url.host = target.host;
      url.pathname = url.pathname.replace(/^\/openai\/v1/, target.pathname.replace(/\/$/, ''));
      return fetch(url, init);
    };
    const client = instrumentOpenAI(new OpenAI({ baseURL: 'https://api.groq.com/openai/v1', apiKey: 'test', maxRetries: 0, fetch: toFake }), t.tollgate);
    await client.chat.completions.create({ model: GROQ_MODEL, messages, max_tokens: OUTPUT });
    await t.tollgate.forceFlush();
    expect(t.spans()[0]?.attributes['gen_ai.provider.name']).toBe('groq');
    const [record] = await t.tollgate.ledger.records({ limit: 10 });
    const rate = groqNanosPerToken();
    expect(record).toMatchObject({ provider: 'groq', costNanos: INPUT * rate.input + OUTPUT * rate.output });
  });

  it('a local server: an Ollama tag or a model no cloud names is provider local, $0, no warning, no ceiling under a deny cap', async () => {
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }]);
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    for (const model of ['llama3.1:8b', 'qwen3:0.6b', 'my-finetuned-llama']) await client.chat.completions.create({ model, messages, max_tokens: OUTPUT });
    await t.tollgate.forceFlush();
    const records = await t.tollgate.ledger.records({ limit: 10 });
    expect(records).toHaveLength(3);
    for (const r of records) expect(r).toMatchObject({ provider: 'local', status: 'ok', costNanos: 0 });
    expect(t.spans().map((s) => s.attributes['tollgate.price.source'])).toEqual(['local', 'local', 'local']);
    expect(t.tollgate.problems.counts()).not.toHaveProperty('unpriced_model');
  });

  it('a local server: each model keeps its provider when it is sent again, interleaved with others (the answer remembered per model)', async () => {
    const t = tollgateWith();
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    const models = ['llama3.1:8b', 'gtp-4o', 'llama3.1:8b', 'gtp-4o', 'my-finetuned-llama'];
    for (const model of models) await client.chat.completions.create({ model, messages, max_tokens: OUTPUT });
    await t.tollgate.forceFlush();
    expect(t.spans().map((s) => [s.attributes['gen_ai.request.model'], s.attributes['gen_ai.provider.name']])).toEqual([
      ['llama3.1:8b', 'local'],
      ['gtp-4o', 'openai'],
      ['llama3.1:8b', 'local'],
      ['gtp-4o', 'openai'],
      ['my-finetuned-llama', 'local'],
    ]);
  });

  it('a local server: a misspelt cloud model stays openai and unpriced (the ceiling under a cap); localHosts: [] turns the local rule off', async () => {
    const t = tollgateWith();
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    const off = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate, { localHosts: [] });
    await client.chat.completions.create({ model: 'gtp-4o', messages, max_tokens: OUTPUT });
    await off.chat.completions.create({ model: 'my-finetuned-llama', messages, max_tokens: OUTPUT });
    await t.tollgate.forceFlush();
    const records = await t.tollgate.ledger.records({ limit: 10 });
    expect(records.map((r) => [r.model, r.provider]).sort()).toEqual([
      ['gtp-4o', 'openai'],
      ['my-finetuned-llama', 'openai'],
    ]);
  });
});
