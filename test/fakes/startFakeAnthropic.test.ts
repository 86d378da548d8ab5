import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../src/demo/fakes/startFakeAnthropic.js';
import type { FakeAnthropic } from '../../src/demo/fakes/startFakeAnthropic.js';

describe('startFakeAnthropic with the real @anthropic-ai/sdk client', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ cacheCreationTokens: 4, cacheReadTokens: 6 });
    client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers messages.create with usage carrying the cache parts', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'be brief',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(message.type).toBe('message');
    expect(message.content).toEqual([{ type: 'text', text: 'tok0 tok1 tok2 tok3 tok4' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({
      input_tokens: 4,
      output_tokens: 5,
      cache_creation_input_tokens: 4,
      cache_read_input_tokens: 6,
    });
    expect(fake.requests.at(-1)?.headers['x-api-key']).toBe('test');
  });

  it('streams raw events with stream: true', async () => {
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const types: string[] = [];
    let output = -1;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_delta') output = event.usage.output_tokens;
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(output).toBe(3);
  });

  it('works with the MessageStream helper', async () => {
    fake.script({ text: 'Hello world', cacheReadTokens: 0, cacheCreationTokens: 0 });
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts).toEqual(['Hello', ' world']);
    expect(final.usage).toMatchObject({ input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 0 });
    expect(final.stop_reason).toBe('end_turn');
  });

  it('returns errors in the real shape', async () => {
    fake.script({ error: { status: 429 } }, { error: { status: 529 } });
    const call = () => client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err).toMatchObject({ status: 429, requestID: expect.stringMatching(/^req_fake_/) });
    await expect(call()).rejects.toMatchObject({ status: 529 });
  });
});
