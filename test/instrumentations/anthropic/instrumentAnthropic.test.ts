import Anthropic from '@anthropic-ai/sdk';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../../instrumentations/anthropic/index.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import { startFakeAnthropic } from '../../fakes/startFakeAnthropic.js';
import type { FakeAnthropic } from '../../fakes/startFakeAnthropic.js';
import { createTestTollgate } from '../helpers.js';
import type { TestTollgate } from '../helpers.js';

const params = {
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  system: 'be brief',
  messages: [{ role: 'user' as const, content: 'name three colours' }],
};

describe('instrumentAnthropic', () => {
  let fake: FakeAnthropic;
  let plain: Anthropic;
  let client: Anthropic;
  let tollgate: TestTollgate;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ outputTokens: 4, cacheCreationTokens: 10, cacheReadTokens: 20 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    tollgate = createTestTollgate();
    plain = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    client = instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
  });

  const onlySpan = () => {
    const spans = tollgate.spans();
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };
  // fake: input_tokens = words of system + messages = 5; cache parts 10 + 20
  const usageAttrs = {
    'gen_ai.usage.input_tokens': 35,
    'gen_ai.usage.output_tokens': 4,
    'gen_ai.usage.cache_creation.input_tokens': 10,
    'gen_ai.usage.cache_read.input_tokens': 20,
  };

  it('messages.create: same Message as without tollgate; input includes the cache parts', async () => {
    const expected = await plain.messages.create(params);
    const got = await client.messages.create(params);
    expect(got).toEqual(expected);
    const span = onlySpan();
    expect(span.name).toBe('chat claude-sonnet-4-5');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.response.id': expected.id,
      'gen_ai.response.finish_reasons': ['end_turn'],
      ...usageAttrs,
    });
  });

  it('messages.create with stream: true: same events; usage from message_start and message_delta', async () => {
    const expected: Anthropic.RawMessageStreamEvent[] = [];
    for await (const e of await plain.messages.create({ ...params, stream: true })) expected.push(e);
    const got: Anthropic.RawMessageStreamEvent[] = [];
    for await (const e of await client.messages.create({ ...params, stream: true })) got.push(e);
    expect(got).toEqual(expected);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ ...usageAttrs, 'gen_ai.response.finish_reasons': ['end_turn'] });
    expect(span.attributes['tollgate.time_to_first_chunk_s']).toBeGreaterThan(0);
  });

  it('messages.stream: events and finalMessage() keep working', async () => {
    const expected = await plain.messages.stream(params).finalMessage();
    const stream = client.messages.stream(params);
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(final).toEqual(expected);
    expect(texts.join('')).toBe('tok0 tok1 tok2 tok3');
    expect(onlySpan().attributes).toMatchObject(usageAttrs);
  });

  it.each([
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
  ] as const)('a %i reaches the caller as the SDK error, and the span is an error span', async (status, type) => {
    fake.script({ error: { status } }, { error: { status } });
    const expected = await plain.messages.create(params).catch((e: unknown) => e);
    const got = await client.messages.create(params).catch((e: unknown) => e);
    expect((got as Error).constructor).toBe((expected as Error).constructor);
    const withoutId = (e: unknown) => (e as Error).message.replace(/req_fake_\d+/g, 'req');
    expect(withoutId(got)).toBe(withoutId(expected));
    const span = onlySpan();
    expect(span.attributes['error.type']).toBe(type);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('an abandoned stream ends its span with the input reported by message_start', async () => {
    fake.script({ outputTokens: 40 });
    const stream = await client.messages.create({ ...params, stream: true });
    for await (const e of stream) {
      expect(e.type).toBe('message_start');
      break;
    }
    expect(onlySpan().attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 35, 'gen_ai.usage.output_tokens': 1 });
  });

  it('MessageStream abort() ends the span', async () => {
    fake.script({ outputTokens: 40, chunkDelayMs: 2 });
    const stream = client.messages.stream(params);
    stream.on('text', () => stream.abort());
    await expect(stream.done()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await expect.poll(() => tollgate.spans().length).toBe(1);
    expect(onlySpan().attributes['gen_ai.usage.input_tokens']).toBe(35);
  });

  it('a fallback sends the fallback model', async () => {
    tollgate.admit = (_span, requested) =>
      Promise.resolve({ decision: 'fallback', model: 'claude-haiku-4-5', requestedModel: requested, reservedNanos: 1 });
    const final = await client.messages.stream(params).finalMessage();
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'claude-haiku-4-5', stream: true });
    expect(final.model).toBe('claude-haiku-4-5');
    expect(onlySpan().attributes).toMatchObject({ 'tollgate.fallback_model': 'claude-haiku-4-5', 'tollgate.requested_model': 'claude-sonnet-4-5' });
  });

  it('a deny sends nothing', async () => {
    const before = fake.requests.length;
    tollgate.denyAtStart = new BudgetExceededError({
      budgetId: 'daily', scope: 'daily', key: 'global', spentUsd: 1, limitUsd: 1, attemptedUsd: 1, action: 'deny',
    });
    await expect(client.messages.create(params)).rejects.toBe(tollgate.denyAtStart);
    expect(fake.requests.length).toBe(before);
  });

  it('cuts a long stream off at the request budget', async () => {
    fake.script({ outputTokens: 1000, cacheCreationTokens: 0, cacheReadTokens: 0 });
    // input 5 tokens (reported by message_start); each " tokN" delta counts 2 tokens with the test estimator
    const limit = 5 * 1_000 + 20 * 2_000;
    tollgate.admit = (_span, model) =>
      Promise.resolve({ decision: 'allow', model, requestedModel: model, reservedNanos: limit, requestLimitNanos: limit });
    const stream = await client.messages.create({ ...params, max_tokens: 2000, stream: true });
    const failure = await (async () => {
      for await (const e of stream) void e;
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BudgetExceededError);
    const span = onlySpan();
    expect(span.attributes['tollgate.status']).toBe('cost_exceeded');
    const output = span.attributes['gen_ai.usage.output_tokens'] as number;
    expect(5 * 1_000 + output * 2_000).toBeGreaterThan(limit);
    expect(5 * 1_000 + (output - 2) * 2_000).toBeLessThanOrEqual(limit);
  });
});
