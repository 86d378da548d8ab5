import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { RateLimitError } from '../../src/ratelimit/RateLimitError.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/index.js';
import { makeTestTollgate, type TestTollgate } from '../helpers/otel.js';

describe('rate limits from config apply to instrumented clients and wrappers', () => {
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

  it('rejects the call over the requests-per-minute limit before it is sent, and settles it at 0', async () => {
    t = makeTestTollgate({ rateLimits: { openai: { rpm: 2, onLimit: 'reject' } } });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    fake.requests.length = 0;
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    await ask();
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ provider: 'openai', kind: 'rpm', limit: 2 });
    expect(fake.requests).toHaveLength(2);
    const spans = t.spans().filter((s) => s.name === 'chat gpt-4o-mini');
    expect(spans.map((s) => s.attributes['error.type'])).toEqual([undefined, undefined, 'RateLimitError']);
    const statuses = await t.tollgate.usage({ by: 'status' });
    expect(statuses.find((g) => g.key === 'error')).toMatchObject({ calls: 1, costNanos: 0 });
  });

  it('applies to tollgate.llm too, by the call provider', async () => {
    t = makeTestTollgate({ rateLimits: { anthropic: { rpm: 1, onLimit: 'reject' } } });
    let ran = 0;
    const call = (model: string) => t.tollgate.llm({ model, maxTokens: 1 }, () => (ran += 1));
    await call('claude-3-haiku');
    await call('gpt-4o-mini'); // other provider: unlimited
    await expect(call('claude-3-haiku')).rejects.toBeInstanceOf(RateLimitError);
    expect(ran).toBe(2);
  });
});
