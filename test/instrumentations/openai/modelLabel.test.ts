import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../../src/core/BudgetExceededError.js';
import { startFakeOpenAI } from '../../fakes/index.js';
import type { FakeOpenAI } from '../../fakes/index.js';
import { makeTestTollgate } from '../../helpers/otel.js';
import type { TestTollgate } from '../../helpers/otel.js';
import { nanos, published } from '../../helpers/publishedPrice.js';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hello' }];

describe('one model label for allowed and denied calls', () => {
  let fake: FakeOpenAI;
  let t: TestTollgate;

  beforeAll(async () => {
    // The provider answers with a dated snapshot, as OpenAI does.
    fake = await startFakeOpenAI({ inputTokens: 1000, outputTokens: 100, responseModel: 'gpt-4o-2024-08-06' });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t.shutdown();
  });

  it('labels the record and the metrics with the model sent, prices with the response model, and a denied call adds no token or cost series', async () => {
    t = makeTestTollgate({ quiet: true, budgets: [{ scope: 'task', maxUsd: 0.000001, onExceed: 'deny' }] });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 });
    await expect(t.tollgate.task('T-1', () => client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 }))).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    await expect(t.tollgate.task('T-2', () => client.chat.completions.create({ model: 'gpt-4.1', messages, max_tokens: 100 }))).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    await t.tollgate.forceFlush();

    const records = await t.tollgate.ledger.records({ limit: 10 });
    expect(records.map((r) => [r.model, r.status]).sort()).toEqual([
      ['gpt-4.1', 'denied'],
      ['gpt-4o', 'denied'],
      ['gpt-4o', 'ok'],
    ]);
    const ok = records.find((r) => r.status === 'ok');
    const p = (key: string): number => published('openai', 'gpt-4o', key);
    expect(ok?.costNanos).toBe(nanos(p('input_mtok'), 1000) + nanos(p('output_mtok'), 100));
    expect(t.spans().find((s) => s.attributes['tollgate.cost.nanos'] !== undefined)?.attributes['gen_ai.response.model']).toBe('gpt-4o-2024-08-06');

    const text = await t.tollgate.metrics.metricsText();
    expect(text).toContain('llm_calls_total{provider="openai",model="gpt-4o",status="ok"} 1');
    expect(text).toContain('llm_calls_total{provider="openai",model="gpt-4o",status="denied"} 1');
    expect(text).toContain('llm_calls_total{provider="openai",model="gpt-4.1",status="denied"} 1');
    expect(text).not.toContain('gpt-4o-2024-08-06');
    const seriesOf41 = text.split('\n').filter((l) => !l.startsWith('#') && l.includes('model="gpt-4.1"'));
    expect(seriesOf41).toEqual(['llm_calls_total{provider="openai",model="gpt-4.1",status="denied"} 1']);
  });
});
