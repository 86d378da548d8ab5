import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import { expectOneCallCost } from '../../helpers/billedCall.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import type { TestTollgate } from '../../helpers/otel.js';
import { nanos, published } from '../../helpers/publishedPrice.js';

/*
 * Server-side tool calls the price data has no price for (code interpreter, image generation):
 * read from a Responses output (JSON and SSE, through the real client); without an override they
 * are charged nothing and reported as unpriced on the span, in the record and in
 * tollgate_unpriced_calls_total; with override prices they are charged and not reported.
 */
describe('instrumentOpenAI: billed units without a price are reported as unpriced', () => {
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

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: code_interpreter_call and image_generation_call items are counted and named unpriced`, async () => {
      t = makeTestTollgate({ quiet: true });
      const c = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
      fake.script({ inputTokens: 1500, outputTokens: 200, units: { codeInterpreterCalls: 2, imageGenerations: 1, webSearches: 1 } });
      const body = { model: 'gpt-4o', input: 'plot and draw', tools: [{ type: 'code_interpreter' as const, container: { type: 'auto' as const } }] };
      if (stream) {
        const s = await c.responses.create({ ...body, stream: true });
        for await (const event of s) void event;
      } else {
        await c.responses.create(body);
      }
      const p = (key: string): number => published('openai', 'gpt-4o', key);
      const webSearch = (p('web_searches_kcount') * 1e9) / 1000;
      const expected = nanos(p('input_mtok'), 1500) + nanos(p('output_mtok'), 200) + webSearch;
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-4o', expected);
      expect(attributes['tollgate.cost.unpriced_units']).toEqual(['code_interpreter', 'image_generation']);
      expect(record.metadata).toMatchObject({
        codeInterpreterCalls: 2,
        imageGenerations: 1,
        webSearches: 1,
        serverToolNanos: webSearch,
        unpricedUnits: 'code_interpreter,image_generation',
      });
      const text = await t.tollgate.metrics.metricsText();
      expect(text.split('\n')).toContain('tollgate_unpriced_calls_total{provider="openai",model="gpt-4o"} 1');
    });
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: with override prices, code_interpreter_call and image_generation_call items are charged and not counted unpriced`, async () => {
      // Only unit prices: added to the price data's gpt-4o, whose token and web search prices stay.
      const override = { codeInterpreterPerCall: 0.03, imageGenerationPerCall: 0.042 };
      t = makeTestTollgate({ quiet: true, pricing: { overrides: { 'gpt-4o': override } } });
      const c = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
      fake.script({ inputTokens: 1500, outputTokens: 200, units: { codeInterpreterCalls: 2, imageGenerations: 1, webSearches: 1 } });
      const body = { model: 'gpt-4o', input: 'plot and draw', tools: [{ type: 'code_interpreter' as const, container: { type: 'auto' as const } }] };
      if (stream) {
        const s = await c.responses.create({ ...body, stream: true });
        for await (const event of s) void event;
      } else {
        await c.responses.create(body);
      }
      const p = (key: string): number => published('openai', 'gpt-4o', key);
      const webSearch = (p('web_searches_kcount') * 1e9) / 1000;
      const perCall = (usd: number): number => Math.round(usd * 1e9); // USD per call → nano-USD per call
      const serverTools = 2 * perCall(override.codeInterpreterPerCall) + perCall(override.imageGenerationPerCall) + webSearch;
      const expected = nanos(p('input_mtok'), 1500) + nanos(p('output_mtok'), 200) + serverTools;
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-4o', expected);
      expect(attributes['tollgate.cost.server_tool_usd']).toBeCloseTo(serverTools / 1e9, 12);
      expect(attributes['tollgate.cost.unpriced_units']).toBeUndefined();
      expect(record.metadata).toMatchObject({ codeInterpreterCalls: 2, imageGenerations: 1, webSearches: 1, serverToolNanos: serverTools });
      expect(record.metadata?.unpricedUnits).toBeUndefined();
      const text = await t.tollgate.metrics.metricsText();
      expect(text.split('\n').filter((l) => l.startsWith('tollgate_unpriced_calls_total{'))).toEqual([]);
    });
  }

  it('a Responses call with only priced tool calls is not counted as unpriced', async () => {
    t = makeTestTollgate({ quiet: true });
    const c = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    fake.script({ inputTokens: 100, outputTokens: 20, units: { webSearches: 1 } });
    await c.responses.create({ model: 'gpt-4o', input: 'search', tools: [{ type: 'web_search' }] });
    await t.tollgate.forceFlush();
    expect(t.spans()[0]?.attributes['tollgate.cost.unpriced_units']).toBeUndefined();
    const text = await t.tollgate.metrics.metricsText();
    expect(text.split('\n').filter((l) => l.startsWith('tollgate_unpriced_calls_total{'))).toEqual([]);
  });
});
