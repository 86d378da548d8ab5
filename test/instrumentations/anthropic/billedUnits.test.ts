import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../../instrumentations/anthropic/index.js';
import { startFakeAnthropic } from '../../fakes/index.js';
import type { FakeAnthropic } from '../../fakes/index.js';
import { expectOneCallCost } from '../../helpers/billedCall.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import type { TestTollgate } from '../../helpers/otel.js';
import { nanos, published } from '../../helpers/publishedPrice.js';

const MODEL = 'claude-sonnet-4-6';
const price = (key: string): number => published('anthropic', MODEL, key);
const request = { model: MODEL, max_tokens: 4096, messages: [{ role: 'user' as const, content: 'search the web' }] };

/*
 * Each billed unit of an Anthropic message, through the real client against the fake server in
 * Anthropic's wire format (JSON and SSE), priced exactly from the published rates of the price data.
 */
describe('instrumentAnthropic: every billed unit priced', () => {
  let fake: FakeAnthropic;
  let t: TestTollgate;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t.shutdown();
  });
  const open = (): void => {
    t = makeTestTollgate({ quiet: true });
    client = instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
  };

  const send = async (stream: boolean): Promise<void> => {
    if (!stream) {
      await client.messages.create(request);
      return;
    }
    const s = await client.messages.create({ ...request, stream: true });
    for await (const event of s) void event;
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: 1-hour cache writes at the 1-hour rate, the rest at the 5-minute rate`, async () => {
      open();
      fake.script({ inputTokens: 10, cacheCreationTokens: 4013, cacheCreation1hTokens: 3913, cacheReadTokens: 500, outputTokens: 50 });
      await send(stream);
      const expected =
        nanos(price('input_mtok'), 10) +
        nanos(price('cache_write_1h_mtok'), 3913) +
        nanos(price('cache_write_mtok'), 100) +
        nanos(price('cache_read_mtok'), 500) +
        nanos(price('output_mtok'), 50);
      const { attributes, record } = await expectOneCallCost(t, 'anthropic', MODEL, expected);
      expect(record).toMatchObject({ inputTokens: 10 + 4013 + 500, cacheWriteTokens: 4013, cacheReadTokens: 500 });
      expect(record.metadata?.cacheWrite1hTokens).toBe(3913);
      expect(attributes['tollgate.usage.cache_creation_1h.input_tokens']).toBe(3913);
      expect(attributes['tollgate.cost.cache_write_usd']).toBeCloseTo((nanos(price('cache_write_1h_mtok'), 3913) + nanos(price('cache_write_mtok'), 100)) / 1e9, 12);
    });

    it(`${mode}: web search requests at the price per search`, async () => {
      open();
      fake.script({ inputTokens: 1200, outputTokens: 300, webSearches: 2 });
      await send(stream);
      const searches = (2 * price('web_searches_kcount') * 1e9) / 1000;
      const expected = nanos(price('input_mtok'), 1200) + nanos(price('output_mtok'), 300) + searches;
      const { attributes, record } = await expectOneCallCost(t, 'anthropic', MODEL, expected);
      expect(record.metadata).toMatchObject({ webSearches: 2, serverToolNanos: searches });
      expect(attributes['tollgate.usage.web_search.requests']).toBe(2);
      expect(attributes['tollgate.cost.server_tool_usd']).toBeCloseTo(searches / 1e9, 12);
    });

    it(`${mode}: compaction iterations are each billed, the summarising step included`, async () => {
      open();
      const iterations = [
        { type: 'compaction', inputTokens: 150_000, outputTokens: 2_000 },
        { type: 'message', inputTokens: 3_000, outputTokens: 400, cacheReadTokens: 1_000 },
      ];
      fake.script({ inputTokens: 3_000, outputTokens: 400, cacheReadTokens: 1_000, iterations });
      await send(stream);
      const expected =
        nanos(price('input_mtok'), 153_000) + nanos(price('cache_read_mtok'), 1_000) + nanos(price('output_mtok'), 2_400);
      const { record } = await expectOneCallCost(t, 'anthropic', MODEL, expected);
      expect(record).toMatchObject({ inputTokens: 154_000, outputTokens: 2_400, cacheReadTokens: 1_000 });
    });
  }
});
