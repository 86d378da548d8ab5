import Anthropic from '@anthropic-ai/sdk';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../../instrumentations/anthropic/index.js';
import type { BudgetSpec } from '../../../src/core/Budget.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import { startFakeAnthropic } from '../../fakes/index.js';
import type { FakeAnthropic } from '../../fakes/index.js';
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
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['tollgate.time_to_first_chunk_s']).toBe(span.attributes['gen_ai.response.time_to_first_chunk']); // the old name, kept one release
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

  /** A tollgate with these budgets and a client instrumented with it. */
  const withBudgets = (budgets: BudgetSpec[]): Anthropic => {
    tollgate = createTestTollgate({ budgets });
    return instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
  };
  /** What the test estimator counts for the request's input (system and messages). */
  const estimatedInput = (): number => tollgate.estimateInputTokens(params.model, [params.system, params.messages]);

  it('a fallback sends the fallback model', async () => {
    // The request budget covers claude-sonnet-4-5 calls only, and not even one of them: the call goes to claude-haiku-4-5.
    const routed = withBudgets([{ scope: 'request', maxUsd: 0.00001, onExceed: 'fallback', fallbackModel: 'claude-haiku-4-5', model: 'claude-sonnet-4-5' }]);
    const final = await routed.messages.stream(params).finalMessage();
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'claude-haiku-4-5', stream: true });
    expect(final.model).toBe('claude-haiku-4-5');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-haiku-4-5',
      'tollgate.decision': 'fallback',
      'tollgate.fallback_model': 'claude-haiku-4-5',
      'tollgate.requested_model': 'claude-sonnet-4-5',
    });
    const [record] = await tollgate.records();
    expect(record?.model).toBe('claude-haiku-4-5');
  });

  it('a deny rejects with BudgetExceededError, records the call as denied and sends nothing (create and stream)', async () => {
    const denied = withBudgets([{ id: 'day', scope: 'daily', maxUsd: 0.000001 }]);
    const before = fake.requests.length;
    await expect(denied.messages.create(params)).rejects.toMatchObject({ name: 'BudgetExceededError', budgetId: 'day', scope: 'daily', action: 'deny' });
    // MessageStream wraps errors that are not the SDK's own in an AnthropicError, with ours as its cause.
    const streamed = await denied.messages.stream(params).finalMessage().catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(Anthropic.AnthropicError);
    expect((streamed as Error).cause).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);
    const spans = tollgate.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes).toMatchObject({ 'tollgate.status': 'denied', 'tollgate.decision': 'deny', 'error.type': 'BudgetExceededError' });
    expect((await tollgate.records()).map((r) => r.status)).toEqual(['denied', 'denied']);
  });

  it('a provider that ignores max_tokens is cut within one chunk of the reservation; the cut names the real budget', async () => {
    const input = estimatedInput();
    // The daily budget holds exactly one call of max_tokens 20; the provider reports the input tollgate estimated.
    const limit = input * 1_000 + 20 * 2_000;
    const capped = withBudgets([{ id: 'day', scope: 'daily', maxUsd: limit / 1e9 }]);
    const exceeded: string[] = [];
    tollgate.engine.events.on('budget_exceeded', (e) => exceeded.push(`${e.budgetId}:${e.action}`));
    fake.script({ outputTokens: 1000, inputTokens: input, cacheCreationTokens: 0, cacheReadTokens: 0, ignoreMaxTokens: true });
    const stream = await capped.messages.create({ ...params, max_tokens: 20, stream: true });
    const texts: string[] = [];
    const failure = await (async () => {
      for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') texts.push(e.delta.text);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BudgetExceededError);
    expect(failure).toMatchObject({ budgetId: 'day', scope: 'daily', limitUsd: limit / 1e9, action: 'deny' });
    expect(exceeded).toEqual(['day:deny']);
    expect(stream.controller.signal.aborted).toBe(true);
    // The test estimator counts "tok0" as 1 token and each " tokN" as 2: tok0..tok9 make 19 (they reach the caller),
    // tok10 makes 21, past the 20 reserved: that chunk cuts the stream and never reaches the caller.
    expect(texts).toHaveLength(10);
    expect(onlySpan().attributes).toMatchObject({ 'tollgate.status': 'cost_exceeded', 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': 21 });
    const [record] = await tollgate.records();
    expect(record).toMatchObject({ status: 'cost_exceeded', costNanos: limit + 2_000 }); // the reservation plus the one token the crossing chunk went past it
  });
});
