/**
 * The Vercel AI SDK 7 with Anthropic (`ai` 7, `@ai-sdk/anthropic` 4 and the OpenTelemetry
 * integration `@ai-sdk/otel`; Node >= 22) against the fake Anthropic server, JSON and SSE. The
 * repository's devDependencies are ai 6; `.ci/node24.d/aiSdk7Anthropic` installs these into a
 * scratch folder in the Node 24 leg and names it in TOLLGATE_AI7_ANTHROPIC_DIR. Without the
 * variable the file is skipped.
 */
import type { Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { startFakeAnthropic } from '../fakes/index.js';
import type { FakeAnthropic } from '../fakes/index.js';
import { modelCostUsd } from '../helpers/billedCall.js';
import { makeTestTollgate } from '../helpers/otel.js';
import type { TestTollgate } from '../helpers/otel.js';
import { nanos, published } from '../helpers/publishedPrice.js';
import { loadScratchPackage } from '../helpers/scratchPackage.js';

const dir = process.env.TOLLGATE_AI7_ANTHROPIC_DIR;
const MODEL = 'claude-sonnet-4-6';
const price = (key: string): number => published('anthropic', MODEL, key);

interface Ai7 {
  generateText(options: Record<string, unknown>): Promise<{ text: string }>;
  streamText(options: Record<string, unknown>): { textStream: AsyncIterable<string> };
}
interface AiOtel {
  OpenTelemetry: new (options: { tracer: Tracer; providerMetadata?: boolean }) => unknown;
}
interface AiAnthropic {
  createAnthropic(options: { baseURL: string; apiKey: string }): (model: string) => unknown;
}

describe.skipIf(dir === undefined)('Vercel AI SDK 7 with @ai-sdk/anthropic and @ai-sdk/otel (TOLLGATE_AI7_ANTHROPIC_DIR)', () => {
  let ai: Ai7;
  let otel: AiOtel;
  let anthropicProvider: AiAnthropic;
  let versions: string[];
  let fake: FakeAnthropic;
  let t: TestTollgate | undefined;

  beforeAll(async () => {
    const loaded = await Promise.all([
      loadScratchPackage<Ai7>(dir as string, 'ai'),
      loadScratchPackage<AiOtel>(dir as string, '@ai-sdk/otel'),
      loadScratchPackage<AiAnthropic>(dir as string, '@ai-sdk/anthropic'),
    ]);
    [ai, otel, anthropicProvider] = [loaded[0].mod, loaded[1].mod, loaded[2].mod];
    versions = loaded.map((l) => l.version);
    fake = await startFakeAnthropic({ outputTokens: 6 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
  });

  function setup(maxUsd: number) {
    t = makeTestTollgate({ guardFetch: true, quiet: true, budgets: [{ id: 'day', scope: 'daily', maxUsd, onExceed: 'deny' }] });
    const model = anthropicProvider.createAnthropic({ baseURL: `${fake.baseURL}/v1`, apiKey: 'test' })(MODEL);
    // providerMetadata: true puts Anthropic's own usage on the span (the 1-hour cache writes are only there).
    const telemetry = { integrations: [new otel.OpenTelemetry({ tracer: t.provider.getTracer('gen_ai'), providerMetadata: true })] };
    return { t, model, telemetry };
  }

  it('is ai 7 with @ai-sdk/anthropic 4', () => {
    expect(versions[0]).toMatch(/^7\./);
    expect(versions[2]).toMatch(/^4\./);
  });

  for (const stream of [false, true]) {
    it(`${stream ? 'streamText (SSE)' : 'generateText (JSON)'}: the chat span is priced, cache reads and 5-minute and 1-hour writes at their own rates`, async () => {
      const { t: tg, model, telemetry } = setup(1);
      fake.script({ inputTokens: 10, cacheCreationTokens: 4013, cacheCreation1hTokens: 3913, cacheReadTokens: 500, outputTokens: 6 });
      const options = { model, prompt: 'one two three', maxOutputTokens: 50, telemetry };
      let text = '';
      if (stream) for await (const part of ai.streamText(options).textStream) text += part;
      else text = (await ai.generateText(options)).text;
      expect(text).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
      const expected =
        nanos(price('input_mtok'), 10) +
        nanos(price('cache_write_1h_mtok'), 3913) +
        nanos(price('cache_write_mtok'), 100) +
        nanos(price('cache_read_mtok'), 500) +
        nanos(price('output_mtok'), 6);
      await tg.tollgate.forceFlush();
      const span = tg.spans().find((s) => s.name === `chat ${MODEL}`) as ReadableSpan;
      expect(span.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(span.attributes['tollgate.cost.nanos']).toBe(expected);
      const records = await tg.tollgate.ledger.records({ limit: 10 });
      expect(records).toHaveLength(1);
      expect(records[0] as UsageRecord).toMatchObject({ provider: 'anthropic', model: MODEL, costNanos: expected, cacheWriteTokens: 4013, cacheReadTokens: 500 });
      expect(modelCostUsd(await tg.tollgate.metrics.metricsText(), 'anthropic', MODEL)).toBeCloseTo(expected / 1e9, 12);
    });
  }

  it('streamText aborted mid-stream: charged as an AbortError from the output seen, the reservation released', async () => {
    const { t: tg, model, telemetry } = setup(1);
    fake.script({ outputTokens: 40, chunkDelayMs: 5 });
    const controller = new AbortController();
    let parts = 0;
    const result = ai.streamText({ model, prompt: 'one two three', maxOutputTokens: 100, telemetry, abortSignal: controller.signal });
    for await (const part of result.textStream) {
      void part;
      if (++parts === 5) controller.abort();
    }
    await tg.tollgate.forceFlush();
    const [record] = await tg.tollgate.ledger.records({ limit: 10 });
    expect(record).toMatchObject({ provider: 'anthropic', model: MODEL, status: 'error', metadata: { errorType: 'AbortError' } });
    expect(record?.outputTokens).toBeLessThan(40);
    const [status] = await tg.tollgate.budgetStatus();
    expect(status).toMatchObject({ reservedUsd: 0, spentUsd: (record?.costNanos ?? 0) / 1e9 });
    expect(tg.tollgate.spanProcessor.openSpanCount).toBe(0);
  });

  it('over a spent budget the caller catches BudgetExceededError, and nothing is sent', async () => {
    const { t: tg, model, telemetry } = setup(0.000001);
    const before = fake.requests.length;
    const err = await ai.generateText({ model, prompt: 'one two three', maxOutputTokens: 50, telemetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'day', action: 'deny' });
    expect(fake.requests.length).toBe(before);
    const [denied] = await tg.tollgate.usage({ by: 'provider', where: { status: 'denied' } });
    expect(denied).toMatchObject({ key: 'anthropic', calls: 1 });
  });
});
