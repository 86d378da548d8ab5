import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import type { BudgetSpec } from '../../../src/core/Budget.js';
import type { Ledger } from '../../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../../src/ledger/memory.js';
import { asyncLedger } from '../../budget/engineHarness.js';
import { createTestTollgate } from '../helpers.js';
import type { TestTollgate } from '../helpers.js';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'name three colours' }];

describe('instrumentOpenAI', () => {
  let fake: FakeOpenAI;
  let plain: OpenAI;
  let client: OpenAI;
  let tollgate: TestTollgate;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ outputTokens: 4, cachedTokens: 1 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    tollgate = createTestTollgate();
    plain = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
  });

  const onlySpan = () => {
    const spans = tollgate.spans();
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };

  it('chat.completions.create: same result as without tollgate, span with exact tokens', async () => {
    const expected = await plain.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const got = await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    expect(got).toEqual(expected);
    expect(got._request_id).toMatch(/^req_fake_/);
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.response.id': expected.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': 1,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'server.address': '127.0.0.1',
      'server.port': fake.port,
    });
    expect(span.attributes['tollgate.estimate.input_tokens']).toBeTypeOf('number');
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('withResponse() and asResponse() keep working; asResponse() alone still records usage', async () => {
    const { data, response, request_id } = await client.chat.completions
      .create({ model: 'gpt-4o', messages })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('tok0 tok1 tok2 tok3');
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_fake_/);
    const raw = await client.chat.completions.create({ model: 'gpt-4o', messages }).asResponse();
    const json = (await raw.json()) as OpenAI.ChatCompletion;
    expect(json.usage?.completion_tokens).toBe(4);
    await expect.poll(() => tollgate.spans().length).toBe(2);
    for (const span of tollgate.spans()) expect(span.attributes['gen_ai.usage.output_tokens']).toBe(4);
  });

  it('captures content only when captureContent is on', async () => {
    tollgate = createTestTollgate(true);
    client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    await client.chat.completions.create({ model: 'gpt-4o', messages });
    const span = onlySpan();
    expect(span.attributes['gen_ai.input.messages']).toBe(JSON.stringify(messages));
    expect(span.attributes['gen_ai.output.messages']).toContain('tok0 tok1 tok2 tok3');
  });

  it('chat stream without usage: the caller sees exactly the plain chunks; usage asked for and hidden', async () => {
    const collect = async (c: OpenAI) => {
      const out: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of await c.chat.completions.create({ model: 'gpt-4o', messages, stream: true })) out.push(chunk);
      return out;
    };
    const expected = await collect(plain);
    const got = await collect(client);
    expect(got).toEqual(expected);
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': 1,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.id': expected[0]?.id,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['tollgate.time_to_first_chunk_s']).toBe(span.attributes['gen_ai.response.time_to_first_chunk']); // the old name, kept one release
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('chat stream with usage asked by the caller: the usage chunk reaches the caller', async () => {
    const params = { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } } as const;
    const expected: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await plain.chat.completions.create(params)) expected.push(chunk);
    const got: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create(params)) got.push(chunk);
    expect(got).toEqual(expected);
    expect(got.at(-1)?.usage?.completion_tokens).toBe(4);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(4);
  });

  it('responses.create, plain and streaming', async () => {
    const expected = await plain.responses.create({ model: 'gpt-4.1', input: 'two words', max_output_tokens: 9 });
    const got = await client.responses.create({ model: 'gpt-4.1', input: 'two words', max_output_tokens: 9 });
    expect(got).toEqual(expected);
    expect(got.output_text).toBe('tok0 tok1 tok2 tok3');
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const expectedEvents: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of await plain.responses.create({ model: 'gpt-4.1', input: 'two words', stream: true })) expectedEvents.push(e);
    for await (const e of await client.responses.create({ model: 'gpt-4.1', input: 'two words', stream: true })) events.push(e);
    expect(events).toEqual(expectedEvents);
    const [first, second] = tollgate.spans();
    for (const span of [first!, second!]) {
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.response.id': expected.id,
        'gen_ai.usage.input_tokens': 2,
        'gen_ai.usage.output_tokens': 4,
        'gen_ai.usage.cache_read.input_tokens': 1,
        'gen_ai.usage.reasoning.output_tokens': 0,
        'gen_ai.response.finish_reasons': ['stop'],
      });
    }
    expect(first!.attributes['gen_ai.request.max_tokens']).toBe(9);
  });

  it('embeddings.create, base64 default and float', async () => {
    const expected = await plain.embeddings.create({ model: 'text-embedding-3-small', input: ['a b c', 'd'] });
    const got = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b c', 'd'] });
    expect(got).toEqual(expected);
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x y', encoding_format: 'float' });
    expect(floats.data[0]?.embedding).toHaveLength(4);
    const [a, b] = tollgate.spans();
    expect(a!.name).toBe('embeddings text-embedding-3-small');
    expect(a!.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': 4,
      'gen_ai.usage.output_tokens': 0,
    });
    expect(b!.attributes['gen_ai.usage.input_tokens']).toBe(2);
  });

  it.each([
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
  ] as const)('a %i reaches the caller as the SDK error, and the span is an error span', async (status, type) => {
    fake.script({ error: { status } }, { error: { status } });
    const expected = await plain.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    const got = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(OpenAI.APIError);
    expect((got as Error).constructor).toBe((expected as Error).constructor);
    expect((got as Error).message).toBe((expected as Error).message);
    const span = onlySpan();
    expect(span.attributes['error.type']).toBe(type);
    expect(span.attributes['tollgate.status']).toBe('error');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it('a stream error (429 on a streaming call) ends the span with error.type', async () => {
    fake.script({ error: { status: 429 } });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    expect(onlySpan().attributes['error.type']).toBe('RateLimitError');
  });

  it('an abandoned stream (break after the first chunk) ends its span with the usage so far', async () => {
    fake.script({ outputTokens: 50 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.role).toBe('assistant');
      break;
    }
    const span = onlySpan();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(0);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(span.attributes['tollgate.estimate.input_tokens']);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('controller.abort() ends the iteration quietly and ends the span', async () => {
    fake.script({ outputTokens: 50 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (seen === 2) stream.controller.abort();
    }
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(seen);
  });

  it('tee() gives two full copies and one span; iterating twice throws the SDK error', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const [left, right] = stream.tee();
    const a: string[] = [];
    const b: string[] = [];
    for await (const c of left) a.push(c.choices[0]?.delta.content ?? '');
    for await (const c of right) b.push(c.choices[0]?.delta.content ?? '');
    expect(a.join('')).toBe('tok0 tok1 tok2 tok3');
    expect(b).toEqual(a);
    const again = async () => {
      for await (const c of stream) void c;
    };
    await expect(again()).rejects.toThrow(/consumed stream/);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(4);
  });

  /** A tollgate with these budgets and a client instrumented with it. */
  const withBudgets = (budgets: BudgetSpec[], ledger?: Ledger): OpenAI => {
    tollgate = createTestTollgate({ budgets, ...(ledger !== undefined ? { ledger } : {}) });
    return instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
  };

  it('a deny rejects with BudgetExceededError, records the call as denied and sends nothing (plain and streamed)', async () => {
    const denied = withBudgets([{ scope: 'daily', maxUsd: 0.000001 }]);
    const before = fake.requests.length;
    await expect(denied.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 })).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(denied.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100, stream: true })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);
    const spans = tollgate.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes).toMatchObject({ 'tollgate.status': 'denied', 'error.type': 'BudgetExceededError' });
    expect((await tollgate.records()).map((r) => r.status)).toEqual(['denied', 'denied']);
  });

  it('an asynchronous store decides at the request gate: a deny sends nothing', async () => {
    const denied = withBudgets([{ scope: 'daily', maxUsd: 0.0000005 }], asyncLedger(new MemoryLedger()));
    const before = fake.requests.length;
    await expect(denied.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);
    expect(onlySpan().attributes['tollgate.status']).toBe('denied');
  });

  it('a fallback sends the fallback model and records both models', async () => {
    const routed = withBudgets([{ scope: 'request', maxUsd: 0.00003, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini', model: 'gpt-4o' }]);
    const got = await routed.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(got.model).toBe('gpt-4o-mini');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-mini',
      'tollgate.requested_model': 'gpt-4o',
      'tollgate.fallback_model': 'gpt-4o-mini',
    });
  });

  it('without max tokens under a cap, the request carries the output limit the reservation covers', async () => {
    // 30 output tokens fit after the input: the request gets max_tokens 30 and the provider stops there.
    const estimate = tollgate.estimateInputTokens('gpt-4o', messages);
    const capped = withBudgets([{ scope: 'daily', maxUsd: (estimate * 1_000 + 30 * 2_000) / 1e9 }]);
    fake.script({ outputTokens: 1000 });
    await capped.chat.completions.create({ model: 'gpt-4o', messages });
    expect(fake.requests.at(-1)?.body).toMatchObject({ max_tokens: 30 });
    expect(onlySpan().attributes).toMatchObject({ 'tollgate.request.output_limit_set': 30, 'gen_ai.request.max_tokens': 30, 'gen_ai.usage.output_tokens': 30 });
    const [status] = await tollgate.engine.status();
    expect(status?.spentUsd).toBeLessThanOrEqual(status?.limitUsd ?? 0);
  });

  it('a provider that ignores the limit is cut within one chunk of the reservation; the cut names the real budget', async () => {
    const estimate = tollgate.estimateInputTokens('gpt-4o', messages);
    const limit = estimate * 1_000 + 20 * 2_000;
    const capped = withBudgets([{ id: 'day', scope: 'daily', maxUsd: limit / 1e9 }]);
    const exceeded: string[] = [];
    tollgate.engine.events.on('budget_exceeded', (e) => exceeded.push(`${e.budgetId}:${e.action}`));
    fake.script({ outputTokens: 1000, ignoreMaxTokens: true });
    const stream = await capped.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const texts: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) texts.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BudgetExceededError);
    expect(failure).toMatchObject({ budgetId: 'day', scope: 'daily', limitUsd: limit / 1e9, action: 'deny' });
    expect(exceeded).toEqual(['day:deny']);
    expect(texts.filter((t) => t !== '')).toHaveLength(20);
    expect(stream.controller.signal.aborted).toBe(true);
    expect(onlySpan().attributes).toMatchObject({ 'tollgate.status': 'cost_exceeded', 'gen_ai.usage.output_tokens': 21, 'gen_ai.usage.input_tokens': estimate });
    const [record] = await tollgate.records();
    expect(record?.costNanos).toBe(limit + 2_000); // the reservation plus the one chunk that crossed it
  });

  it('a client without the prepareOptions hook cannot hold requests back, and says so', () => {
    const odd = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    Object.defineProperty(odd, 'prepareOptions', { value: undefined });
    instrumentOpenAI(odd, tollgate);
    expect(tollgate.problemLines).toEqual([expect.stringContaining('[internal]: this openai client has no prepareOptions hook')]);
  });

  it('instrumenting twice is ignored and the client is returned unchanged', () => {
    expect(instrumentOpenAI(client, tollgate)).toBe(client);
  });
});
