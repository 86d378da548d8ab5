/**
 * The Vercel AI SDK with Anthropic (`ai` + `@ai-sdk/anthropic`) through tollgate's span
 * processor and fetch guard, against the fake Anthropic server (Messages API, JSON and SSE).
 * The AI SDK names the provider `anthropic.messages` and reports cache tokens in its own
 * attributes and Anthropic's usage in its provider metadata: the calls are charged to provider
 * `anthropic`, every billed unit at the rate the price data publishes, and a denied call
 * reaches the caller as BudgetExceededError with nothing sent.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { generateText, streamText } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { budgetExceededFrom } from '../../src/core/budgetExceededFrom.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { startFakeAnthropic } from '../fakes/index.js';
import type { FakeAnthropic } from '../fakes/index.js';
import { modelCostUsd } from '../helpers/billedCall.js';
import { makeTestTollgate } from '../helpers/otel.js';
import type { TestTollgate } from '../helpers/otel.js';
import { nanos, published } from '../helpers/publishedPrice.js';

const MODEL = 'claude-sonnet-4-6';
const price = (key: string): number => published('anthropic', MODEL, key);
const PROMPT = 'one two three four';

describe('Vercel AI SDK (ai + @ai-sdk/anthropic)', () => {
  let fake: FakeAnthropic;
  let t: TestTollgate | undefined;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ outputTokens: 6 });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
  });

  function setup(budgets: BudgetSpec[] = [{ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' }], telemetryOptions: { recordOutputs?: boolean } = {}) {
    t = makeTestTollgate({ guardFetch: true, quiet: true, budgets });
    // Created after tollgate, as the README says (the fetch guard is in place).
    const anthropic = createAnthropic({ baseURL: `${fake.baseURL}/v1`, apiKey: 'test' });
    const telemetry = { isEnabled: true, tracer: t.provider.getTracer('ai'), ...telemetryOptions };
    return { t, model: anthropic(MODEL), telemetry };
  }

  /** Drains a streamText result the way an app does, returning the text. */
  async function drain(result: ReturnType<typeof streamText>): Promise<string> {
    let text = '';
    for await (const part of result.textStream) text += part;
    return text;
  }

  /** The one charged call: its model-call span, its ledger record and the cost on /metrics, after checking they agree on `expected` nano-USD. */
  async function expectCharged(tg: TestTollgate, expected: number): Promise<{ span: ReadableSpan; record: UsageRecord }> {
    await tg.tollgate.forceFlush();
    const calls = tg.spans().filter((s) => s.name.endsWith('.doGenerate') || s.name.endsWith('.doStream'));
    expect(calls).toHaveLength(1);
    const span = calls[0] as ReadableSpan;
    expect(span.attributes['tollgate.cost.nanos']).toBe(expected);
    expect(span.attributes['gen_ai.usage.cost']).toBeCloseTo(expected / 1e9, 12);
    const records = await tg.tollgate.ledger.records({ limit: 10 });
    expect(records).toHaveLength(1);
    const record = records[0] as UsageRecord;
    expect(record).toMatchObject({ provider: 'anthropic', model: MODEL, status: 'ok', costNanos: expected });
    expect(modelCostUsd(await tg.tollgate.metrics.metricsText(), 'anthropic', MODEL)).toBeCloseTo(expected / 1e9, 12);
    return { span, record };
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streamText (SSE)' : 'generateText (JSON)';
    const call = async (model: ReturnType<ReturnType<typeof createAnthropic>>, telemetry: object): Promise<string> =>
      stream
        ? drain(streamText({ model, prompt: PROMPT, maxOutputTokens: 50, experimental_telemetry: telemetry }))
        : (await generateText({ model, prompt: PROMPT, maxOutputTokens: 50, experimental_telemetry: telemetry })).text;

    it(`${mode}: the call is charged to provider anthropic at the model's input and output rates`, async () => {
      const { t: tg, model, telemetry } = setup();
      fake.script({ inputTokens: 9, outputTokens: 6 });
      expect(await call(model, telemetry)).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
      const expected = nanos(price('input_mtok'), 9) + nanos(price('output_mtok'), 6);
      const { record } = await expectCharged(tg, expected);
      expect(record).toMatchObject({ inputTokens: 9, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0 });
      const [byProvider] = await tg.tollgate.usage({ by: 'provider' });
      expect(byProvider).toMatchObject({ key: 'anthropic', calls: 1, costNanos: expected });
    });

    it(`${mode}: cache reads, 5-minute and 1-hour cache writes each at their own rate`, async () => {
      const { t: tg, model, telemetry } = setup();
      fake.script({ inputTokens: 10, cacheCreationTokens: 4013, cacheCreation1hTokens: 3913, cacheReadTokens: 500, outputTokens: 6 });
      await call(model, telemetry);
      const expected =
        nanos(price('input_mtok'), 10) +
        nanos(price('cache_write_1h_mtok'), 3913) +
        nanos(price('cache_write_mtok'), 100) +
        nanos(price('cache_read_mtok'), 500) +
        nanos(price('output_mtok'), 6);
      const { span, record } = await expectCharged(tg, expected);
      expect(record).toMatchObject({ inputTokens: 10 + 4013 + 500, cacheWriteTokens: 4013, cacheReadTokens: 500, outputTokens: 6 });
      expect(record.metadata?.cacheWrite1hTokens).toBe(3913);
      expect(span.attributes['tollgate.usage.cache_creation_1h.input_tokens']).toBe(3913);
    });

    it(`${mode}: web search requests at the price per search`, async () => {
      const { t: tg, model, telemetry } = setup();
      fake.script({ inputTokens: 1200, outputTokens: 6, webSearches: 2 });
      await call(model, telemetry);
      const searches = (2 * price('web_searches_kcount') * 1e9) / 1000;
      const expected = nanos(price('input_mtok'), 1200) + nanos(price('output_mtok'), 6) + searches;
      const { record } = await expectCharged(tg, expected);
      expect(record.metadata).toMatchObject({ webSearches: 2, serverToolNanos: searches });
    });
  }

  it('streamText aborted mid-stream (ai 6 never ends that doStream span): charged as an AbortError from the output seen, the reservation released', async () => {
    const { t: tg, model, telemetry } = setup();
    fake.script({ outputTokens: 40, chunkDelayMs: 5 });
    const controller = new AbortController();
    const result = streamText({ model, prompt: PROMPT, maxOutputTokens: 100, experimental_telemetry: telemetry, abortSignal: controller.signal });
    let parts = 0;
    for await (const part of result.textStream) {
      void part;
      if (++parts === 5) controller.abort();
    }
    await tg.tollgate.forceFlush();
    const [record] = await tg.tollgate.ledger.records({ limit: 10 });
    expect(record).toMatchObject({ provider: 'anthropic', model: MODEL, status: 'error', metadata: { errorType: 'AbortError', costSource: 'estimated' } });
    const { inputTokens, outputTokens, costNanos } = record as UsageRecord;
    expect(outputTokens).toBeGreaterThanOrEqual(5);
    expect(outputTokens).toBeLessThan(40);
    expect(costNanos).toBe(nanos(price('input_mtok'), inputTokens) + nanos(price('output_mtok'), outputTokens));
    const [status] = await tg.tollgate.budgetStatus();
    expect(status).toMatchObject({ reservedUsd: 0, spentUsd: costNanos / 1e9 });
    expect(tg.tollgate.spanProcessor.openSpanCount).toBe(0);
  });

  it('with recordOutputs: false the cache tokens are still priced; the 1-hour surcharge (in the provider metadata the AI SDK then leaves out) is not', async () => {
    const { t: tg, model, telemetry } = setup(undefined, { recordOutputs: false });
    fake.script({ inputTokens: 10, cacheCreationTokens: 4013, cacheCreation1hTokens: 3913, cacheReadTokens: 500, outputTokens: 6 });
    await generateText({ model, prompt: PROMPT, maxOutputTokens: 50, experimental_telemetry: telemetry });
    const expected = nanos(price('input_mtok'), 10) + nanos(price('cache_write_mtok'), 4013) + nanos(price('cache_read_mtok'), 500) + nanos(price('output_mtok'), 6);
    const { record } = await expectCharged(tg, expected);
    expect(record).toMatchObject({ cacheWriteTokens: 4013, cacheReadTokens: 500 });
    expect(record.metadata?.cacheWrite1hTokens).toBeUndefined();
  });

  it('a budget for provider anthropic holds the AI SDK calls (its provider id anthropic.messages is read as anthropic)', async () => {
    const { t: tg, model, telemetry } = setup([{ id: 'claude', scope: 'daily', provider: 'anthropic', maxUsd: 0.000001, onExceed: 'deny' }]);
    const before = fake.requests.length;
    const err = await generateText({ model, prompt: PROMPT, maxOutputTokens: 50, experimental_telemetry: telemetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'claude', scope: 'daily', action: 'deny' });
    expect(fake.requests.length).toBe(before);
    const [denied] = await tg.tollgate.usage({ by: 'provider', where: { status: 'denied' } });
    expect(denied).toMatchObject({ key: 'anthropic', calls: 1 });
  });

  it('generateText over a spent budget: the caller catches BudgetExceededError and nothing is sent', async () => {
    const { t: tg, model, telemetry } = setup([{ id: 'day', scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }]);
    const before = fake.requests.length;
    const err = await generateText({ model, prompt: PROMPT, maxOutputTokens: 50, experimental_telemetry: telemetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'day', scope: 'daily', action: 'deny', limitUsd: 0.000001 });
    expect(fake.requests.length).toBe(before);
    const [denied] = await tg.tollgate.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
  });

  it('streamText over a spent budget: the error the stream raises is BudgetExceededError, and nothing is sent', async () => {
    const { model, telemetry } = setup([{ id: 'day', scope: 'daily', maxUsd: 0.000001, onExceed: 'deny' }]);
    const before = fake.requests.length;
    const seen: unknown[] = [];
    const result = streamText({
      model,
      prompt: PROMPT,
      maxOutputTokens: 50,
      experimental_telemetry: telemetry,
      onError: ({ error }) => {
        seen.push(error);
      },
    });
    for await (const part of result.fullStream) if (part.type === 'error') seen.push(part.error);
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) expect(budgetExceededFrom(e)).toBeInstanceOf(BudgetExceededError);
    expect(seen[0]).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);
  });
});
