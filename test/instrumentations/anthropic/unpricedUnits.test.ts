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
const request = { model: MODEL, max_tokens: 4096, messages: [{ role: 'user' as const, content: 'run this code' }] };

/*
 * `usage.server_tool_use.code_execution_requests` has no price in the price data: read from the
 * message (JSON) and the final message_delta (SSE) through the real client; without an override
 * charged nothing and reported as unpriced on the span, in the record and in
 * tollgate_unpriced_calls_total; with an override price charged and not reported.
 */
describe('instrumentAnthropic: billed units without a price are reported as unpriced', () => {
  let fake: FakeAnthropic;
  let t: TestTollgate;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t.shutdown();
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: code execution requests are counted and named unpriced, web searches stay priced`, async () => {
      t = makeTestTollgate({ quiet: true });
      const client = instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
      fake.script({ inputTokens: 900, outputTokens: 120, webSearches: 1, codeExecutions: 3 });
      if (stream) {
        const s = await client.messages.create({ ...request, stream: true });
        for await (const event of s) void event;
      } else {
        await client.messages.create(request);
      }
      const webSearch = (price('web_searches_kcount') * 1e9) / 1000;
      const expected = nanos(price('input_mtok'), 900) + nanos(price('output_mtok'), 120) + webSearch;
      const { attributes, record } = await expectOneCallCost(t, 'anthropic', MODEL, expected);
      expect(attributes['tollgate.cost.unpriced_units']).toEqual(['code_execution']);
      expect(record.metadata).toMatchObject({ codeExecutions: 3, webSearches: 1, serverToolNanos: webSearch, unpricedUnits: 'code_execution' });
      const text = await t.tollgate.metrics.metricsText();
      expect(text.split('\n')).toContain(`tollgate_unpriced_calls_total{provider="anthropic",model="${MODEL}"} 1`);
    });
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: with an override price, code execution requests are charged and not counted unpriced`, async () => {
      // Only a unit price: added to the price data's entry of the model (token and web search prices stay).
      const perExecution = 0.05;
      t = makeTestTollgate({ quiet: true, pricing: { overrides: { [`anthropic/${MODEL}`]: { codeExecutionPerCall: perExecution } } } });
      const client = instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
      fake.script({ inputTokens: 900, outputTokens: 120, webSearches: 1, codeExecutions: 3 });
      if (stream) {
        const s = await client.messages.create({ ...request, stream: true });
        for await (const event of s) void event;
      } else {
        await client.messages.create(request);
      }
      const webSearch = (price('web_searches_kcount') * 1e9) / 1000;
      const serverTools = 3 * Math.round(perExecution * 1e9) + webSearch; // USD per call → nano-USD per call
      const expected = nanos(price('input_mtok'), 900) + nanos(price('output_mtok'), 120) + serverTools;
      const { attributes, record } = await expectOneCallCost(t, 'anthropic', MODEL, expected);
      expect(attributes['tollgate.cost.server_tool_usd']).toBeCloseTo(serverTools / 1e9, 12);
      expect(attributes['tollgate.cost.unpriced_units']).toBeUndefined();
      expect(record.metadata).toMatchObject({ codeExecutions: 3, webSearches: 1, serverToolNanos: serverTools });
      expect(record.metadata?.unpricedUnits).toBeUndefined();
      const text = await t.tollgate.metrics.metricsText();
      expect(text.split('\n').filter((l) => l.startsWith('tollgate_unpriced_calls_total{'))).toEqual([]);
    });
  }
});
