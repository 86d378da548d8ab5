import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../src/demo/fakes/startFakeOpenAI.js';
import type { FakeOpenAI } from '../../src/demo/fakes/startFakeOpenAI.js';

describe('startFakeOpenAI with the real openai client', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers chat.completions with usage derived from the request', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'say three words' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]?.message.content).toBe('tok0 tok1 tok2 tok3 tok4');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBe(3);
    expect(completion.usage?.completion_tokens).toBe(5);
    expect(completion._request_id).toMatch(/^req_fake_/);
    const last = fake.requests.at(-1);
    expect(last?.path).toBe('/v1/chat/completions');
    expect(last?.headers.authorization).toBe('Bearer test');
  });

  it('streams chat chunks, with a usage-only final chunk under include_usage', async () => {
    fake.script({ outputTokens: 3, cachedTokens: 1, reasoningTokens: 2 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi there' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // role chunk, 3 text tokens... minus 2 reasoning = 1 text chunk, finish chunk, usage chunk
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['', 'tok0', null, null]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 2,
      completion_tokens: 3,
      prompt_tokens_details: { cached_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(chunks[0]?.usage).toBeNull();
  });

  it('streams without usage when not asked, capped by max_tokens', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 2,
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(4);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
  });

  it('answers responses.create as JSON and as typed SSE events', async () => {
    const response = await client.responses.create({ model: 'gpt-4.1', input: 'one two', max_output_tokens: 100 });
    expect(response.object).toBe('response');
    expect(response.output_text).toBe('tok0 tok1 tok2 tok3 tok4');
    expect(response.usage).toMatchObject({ input_tokens: 2, output_tokens: 5, input_tokens_details: { cached_tokens: 0 } });

    fake.script({ outputTokens: 2, reasoningTokens: 1, cachedTokens: 1 });
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'one two', stream: true });
    const types: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(completed?.usage).toEqual({
      input_tokens: 2,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 4,
    });
  });

  it('answers embeddings in float and base64 encodings', async () => {
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'], encoding_format: 'float' });
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'] });
    expect(floats.data).toHaveLength(2);
    expect(decoded.data.map((d) => Array.from(d.embedding))).toEqual(floats.data.map((d) => d.embedding));
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('returns errors in the real shape, which the SDK turns into its own error classes', async () => {
    fake.script({ error: { status: 429, shouldRetry: false } }, { error: { status: 500 } }, { error: { status: 400, message: 'bad' } });
    const call = () => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    const rate = await call().catch((err: unknown) => err);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect((rate as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    await expect(call()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(call()).rejects.toMatchObject({ status: 400, message: '400 bad' });
    expect(fake.requests.at(-3)?.body).toMatchObject({ model: 'gpt-4o' });
  });

  it('serves a long stream with a per-chunk delay', async () => {
    fake.script({ outputTokens: 200, chunkDelayMs: 1 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'long' }], stream: true });
    let count = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content?.startsWith(' tok')) count++;
    }
    expect(count).toBe(199);
  });
});
