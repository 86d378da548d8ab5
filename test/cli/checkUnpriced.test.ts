import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { checkUnpriced } from '../../src/cli/commands/checkUnpriced.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { makeTestTollgate } from '../helpers/otel.js';
import type { TestTollgate } from '../helpers/otel.js';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hello' }];

describe('unpriced calls: counted in /metrics, listed in /v1/status, failed by doctor', () => {
  let fake: FakeOpenAI;
  let t: TestTollgate;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ inputTokens: 100, outputTokens: 10 });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t.shutdown();
  });

  it('a misspelt model and an audio unit without a price are unpriced calls; a priced call is not', async () => {
    t = makeTestTollgate({ quiet: true });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    await client.chat.completions.create({ model: 'gtp-4o', messages, max_tokens: 10 });
    await client.chat.completions.create({ model: 'gtp-4o', messages, max_tokens: 10 });
    await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    fake.script({ units: { inputAudioTokens: 50 } });
    await client.chat.completions.create({ model: 'gpt-4o-audio-preview', messages, max_tokens: 10 });
    await t.tollgate.forceFlush();

    const text = await t.tollgate.metrics.metricsText();
    const series = text.split('\n').filter((l) => l.startsWith('tollgate_unpriced_calls_total{'));
    expect(series.sort()).toEqual([
      'tollgate_unpriced_calls_total{provider="openai",model="gpt-4o-audio-preview"} 1',
      'tollgate_unpriced_calls_total{provider="openai",model="gtp-4o"} 2',
    ]);

    const server = await t.tollgate.serve({ port: 0 });
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as { unpricedCalls: unknown };
    expect(status.unpricedCalls).toEqual([
      { provider: 'openai', model: 'gtp-4o', calls: 2, units: [{ unit: 'model', calls: 2 }] },
      { provider: 'openai', model: 'gpt-4o-audio-preview', calls: 1, units: [{ unit: 'input_audio', calls: 1 }] },
    ]);
    expect(await checkUnpriced(server.url, 3000, {})).toEqual({
      name: 'unpriced',
      status: 'fail',
      detail:
        '3 calls were priced by policy instead of price data: openai/gtp-4o ×2, openai/gpt-4o-audio-preview ×1 (input_audio). ' +
        'Fix: add their prices (pricing.overrides or a pricing file; a unit alone, e.g. code_interpreter_per_call, adds to the price data); see tollgate_unpriced_calls_total',
    });
  });

  it('passes when every call was priced, and is skipped when the server asks for a token', async () => {
    t = makeTestTollgate({ quiet: true, server: { readToken: 'secret' } });
    const server = await t.tollgate.serve({ port: 0 });
    expect(await checkUnpriced(server.url, 3000, {})).toMatchObject({ name: 'unpriced', status: 'skipped' });
    expect(await checkUnpriced(server.url, 3000, { TOLLGATE_READ_TOKEN: 'secret' })).toEqual({
      name: 'unpriced',
      status: 'ok',
      detail: 'every call so far was priced from price data',
    });
  });
});
