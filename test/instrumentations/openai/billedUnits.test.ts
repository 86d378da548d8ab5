import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import type { InstrumentOpenAIOptions } from '../../../instrumentations/openai/instrumentOpenAI.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import { expectOneCallCost } from '../../helpers/billedCall.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import type { TestTollgate } from '../../helpers/otel.js';
import { nanos, published } from '../../helpers/publishedPrice.js';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hello' }];

/*
 * Each billed unit of an OpenAI (or OpenAI-compatible) response, through the real client against
 * the fake server in OpenAI's wire format (JSON and SSE), priced exactly from the published rates.
 */
describe('instrumentOpenAI: every billed unit priced', () => {
  let fake: FakeOpenAI;
  let t: TestTollgate;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t.shutdown();
  });
  const client = (options?: InstrumentOpenAIOptions): OpenAI => {
    t = makeTestTollgate({ quiet: true });
    return instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate, options);
  };
  const chat = async (c: OpenAI, model: string, stream: boolean): Promise<void> => {
    if (!stream) {
      await c.chat.completions.create({ model, messages, max_tokens: 4096 });
      return;
    }
    const s = await c.chat.completions.create({ model, messages, max_tokens: 4096, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of s) void chunk;
  };
  const respond = async (c: OpenAI, model: string, stream: boolean): Promise<void> => {
    if (!stream) {
      await c.responses.create({ model, input: 'what happened today?', tools: [{ type: 'web_search' }] });
      return;
    }
    const s = await c.responses.create({ model, input: 'what happened today?', tools: [{ type: 'web_search' }], stream: true });
    for await (const event of s) void event;
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: Responses web_search_call and file_search_call items at the price per search`, async () => {
      const c = client();
      fake.script({ inputTokens: 2000, outputTokens: 300, units: { webSearches: 2, fileSearches: 1 } });
      await respond(c, 'gpt-4o', stream);
      const p = (key: string): number => published('openai', 'gpt-4o', key);
      const tools = (2 * p('web_searches_kcount') * 1e9) / 1000 + (p('storage_searches_kcount') * 1e9) / 1000;
      const expected = nanos(p('input_mtok'), 2000) + nanos(p('output_mtok'), 300) + tools;
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-4o', expected);
      expect(record.metadata).toMatchObject({ webSearches: 2, fileSearches: 1, serverToolNanos: tools });
      expect(attributes['tollgate.usage.web_search.requests']).toBe(2);
      expect(attributes['tollgate.usage.file_search.requests']).toBe(1);
    });

    for (const [tier, factor] of [
      ['priority', 2],
      ['flex', 0.5],
      ['default', 1],
    ] as const) {
      it(`${mode}: service_tier ${tier} bills ${factor}x the standard token prices`, async () => {
        const c = client();
        fake.script({ inputTokens: 1000, outputTokens: 200, cachedTokens: 400, units: { serviceTier: tier } });
        await chat(c, 'gpt-5', stream);
        const p = (key: string): number => published('openai', 'gpt-5', key);
        const standard = nanos(p('input_mtok'), 600) + nanos(p('cache_read_mtok'), 400) + nanos(p('output_mtok'), 200);
        const { attributes } = await expectOneCallCost(t, 'openai', 'gpt-5', standard * factor);
        expect(attributes['tollgate.service_tier']).toBe(tier === 'default' ? undefined : tier);
      });
    }

    it(`${mode}: audio tokens at the audio rates, the rest as text`, async () => {
      const c = client();
      fake.script({ inputTokens: 1000, outputTokens: 500, units: { inputAudioTokens: 700, outputAudioTokens: 450 } });
      await chat(c, 'gpt-audio', stream);
      const p = (key: string): number => published('openai', 'gpt-audio', key);
      const audio = nanos(p('input_audio_mtok'), 700) + nanos(p('output_audio_mtok'), 450);
      const expected = nanos(p('input_mtok'), 300) + nanos(p('output_mtok'), 50) + audio;
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-audio', expected);
      expect(record.metadata).toMatchObject({ inputAudioTokens: 700, outputAudioTokens: 450, audioNanos: audio });
      expect(attributes['tollgate.cost.audio_usd']).toBeCloseTo(audio / 1e9, 12);
    });

    it(`${mode}: an audio model without audio prices charges them as text and names them unpriced`, async () => {
      const c = client();
      fake.script({ inputTokens: 1000, outputTokens: 100, units: { inputAudioTokens: 700 } });
      await chat(c, 'gpt-4o-audio-preview', stream);
      const p = (key: string): number => published('openai', 'gpt-4o-audio-preview', key);
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-4o-audio-preview', nanos(p('input_mtok'), 1000) + nanos(p('output_mtok'), 100));
      expect(record.metadata?.unpricedUnits).toBe('input_audio');
      expect(attributes['tollgate.cost.unpriced_units']).toEqual(['input_audio']);
    });

    it(`${mode}: cache_write_tokens of a compatible provider at its cache write price`, async () => {
      const model = 'anthropic/claude-haiku-4.5';
      const c = client({ provider: 'openrouter' });
      fake.script({ inputTokens: 3000, outputTokens: 100, cachedTokens: 500, units: { cacheWriteTokens: 2000 } });
      await chat(c, model, stream);
      const p = (key: string): number => published('openrouter', model, key);
      const expected =
        nanos(p('input_mtok'), 500) + nanos(p('cache_read_mtok'), 500) + nanos(p('cache_write_mtok'), 2000) + nanos(p('output_mtok'), 100);
      const { record } = await expectOneCallCost(t, 'openrouter', model, expected);
      expect(record).toMatchObject({ cacheWriteTokens: 2000, cacheReadTokens: 500 });
    });

    it(`${mode}: thinking tokens counted only in total_tokens (Gemini's OpenAI-compatible endpoint) are billed as output`, async () => {
      const c = client({ provider: 'google' });
      fake.script({ inputTokens: 800, outputTokens: 40, units: { hiddenThinkingTokens: 900 } });
      await chat(c, 'gemini-2.5-flash', stream);
      const p = (key: string): number => published('google', 'gemini-2.5-flash', key);
      const { record } = await expectOneCallCost(t, 'google', 'gemini-2.5-flash', nanos(p('input_mtok'), 800) + nanos(p('output_mtok'), 940));
      expect(record).toMatchObject({ outputTokens: 940, reasoningTokens: 900 });
    });
  }
});
