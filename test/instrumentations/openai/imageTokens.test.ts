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
 * `input_tokens_details.image_tokens` of a Responses usage (JSON and SSE, through the real
 * client): at the model's image input rate where the price data has one, else at the text rate
 * (how OpenAI bills images to text models), counted in the record either way.
 */
describe('instrumentOpenAI: image input tokens', () => {
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
  const respond = async (model: string, stream: boolean): Promise<void> => {
    t = makeTestTollgate({ quiet: true });
    const c = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    if (!stream) {
      await c.responses.create({ model, input: 'describe the picture' });
      return;
    }
    const s = await c.responses.create({ model, input: 'describe the picture', stream: true });
    for await (const event of s) void event;
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'SSE' : 'JSON';

    it(`${mode}: image tokens at the image input rate of a model that has one`, async () => {
      fake.script({ inputTokens: 1200, outputTokens: 100, units: { inputImageTokens: 800 } });
      await respond('gpt-image-1', stream);
      const p = (key: string): number => published('openai', 'gpt-image-1', key);
      expect(p('input_image_mtok')).not.toBe(p('input_mtok'));
      const expected = nanos(p('input_mtok'), 400) + nanos(p('input_image_mtok'), 800) + nanos(p('output_mtok'), 100);
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-image-1', expected);
      expect(record).toMatchObject({ inputTokens: 1200 });
      expect(record.metadata).toMatchObject({ inputImageTokens: 800 });
      expect(attributes['tollgate.cost.unpriced_units']).toBeUndefined();
    });

    it(`${mode}: image tokens of a text model without an image rate at the text rate, not unpriced`, async () => {
      fake.script({ inputTokens: 1200, outputTokens: 100, units: { inputImageTokens: 800 } });
      await respond('gpt-4o', stream);
      const p = (key: string): number => published('openai', 'gpt-4o', key);
      const { attributes, record } = await expectOneCallCost(t, 'openai', 'gpt-4o', nanos(p('input_mtok'), 1200) + nanos(p('output_mtok'), 100));
      expect(record.metadata).toMatchObject({ inputImageTokens: 800 });
      expect(attributes['tollgate.cost.unpriced_units']).toBeUndefined();
    });
  }
});
