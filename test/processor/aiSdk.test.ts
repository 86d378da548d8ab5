/**
 * The Vercel AI SDK (`ai` + `@ai-sdk/openai`) through tollgate's span processor and fetch
 * guard, against the fake OpenAI server: its spans are priced and charged, and a denied call
 * reaches the caller as BudgetExceededError itself (not an APICallError with status 402).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { generateText, streamText } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { budgetExceededFrom } from '../../src/core/budgetExceededFrom.js';
import { createTollgate, type Tollgate } from '../../src/createTollgate.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';
import { nanos, published } from '../helpers/publishedPrice.js';

const require = createRequire(import.meta.url);
/** gpt-4o-mini: $0.15 / $0.60 per 1M tokens = 150 / 600 nano-USD per token. */
const MINI_IN = 150;
const MINI_OUT = 600;

describe('Vercel AI SDK (ai + @ai-sdk/openai)', () => {
  let fake: FakeOpenAI;
  let tollgate: Tollgate | undefined;
  let provider: TracerProvider | undefined;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ outputTokens: 6 });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await provider?.shutdown();
    await tollgate?.shutdown();
    provider = undefined;
    tollgate = undefined;
  });

  function setup(maxUsd = 1) {
    ensureContextManager();
    const t = createTollgate({ store: 'memory:', configFile: false, env: {}, budgets: [{ id: 'day', scope: 'daily', maxUsd, onExceed: 'deny' }] });
    const exporter = new InMemorySpanExporter();
    const p = new TracerProvider({ spanProcessors: [t.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
    tollgate = t;
    provider = p;
    // Created after tollgate, as the README says (the fetch guard is in place).
    const openai = createOpenAI({ baseURL: fake.baseURL, apiKey: 'test' });
    const telemetry = { isEnabled: true, tracer: p.getTracer('ai') };
    return { tollgate: t, openai, telemetry, exporter };
  }

  it('resolves the one @opentelemetry/api copy of this package (spans would vanish with two)', () => {
    const fromAi = require.resolve('@opentelemetry/api', { paths: [dirname(require.resolve('ai'))] });
    expect(fromAi).toBe(require.resolve('@opentelemetry/api'));
  });

  it('generateText: the doGenerate span is priced and the call charged', async () => {
    const { tollgate: t, openai, telemetry, exporter } = setup();
    const result = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 50, experimental_telemetry: telemetry });
    expect(result.text).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
    const { inputTokens, outputTokens } = result.usage;
    expect(outputTokens).toBe(6);
    const cost = (inputTokens ?? 0) * MINI_IN + 6 * MINI_OUT;
    const span = exporter.getFinishedSpans().find((s) => s.name === 'ai.generateText.doGenerate');
    expect(span?.attributes['tollgate.cost.nanos']).toBe(cost);
    const [row] = await t.usage({ by: 'model' });
    expect(row).toMatchObject({ key: 'gpt-4o-mini', calls: 1, inputTokens, outputTokens: 6, costNanos: cost });
  });

  it('generateText: charged to provider openai (not the AI SDK id openai.chat), cached input at the cache-read rate', async () => {
    const { tollgate: t, openai, telemetry } = setup();
    fake.script({ inputTokens: 1000, cachedTokens: 800, outputTokens: 6 });
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 50, experimental_telemetry: telemetry });
    const cost = nanos(published('openai', 'gpt-4o-mini', 'input_mtok'), 200) + nanos(published('openai', 'gpt-4o-mini', 'cache_read_mtok'), 800) + 6 * MINI_OUT;
    const [row] = await t.usage({ by: 'provider' });
    expect(row).toMatchObject({ key: 'openai', calls: 1, inputTokens: 1000, cacheReadTokens: 800, costNanos: cost });
  });

  it('streamText: the streamed call is charged', async () => {
    const { tollgate: t, openai, telemetry } = setup();
    const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 50, experimental_telemetry: telemetry });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
    await expect.poll(async () => (await t.usage({ by: 'model' }))[0]).toMatchObject({ calls: 1, outputTokens: 6 });
  });

  it('streamText aborted mid-stream (ai 6 never ends that doStream span): charged as an AbortError from the output seen, the reservation released', async () => {
    const { tollgate: t, openai, telemetry } = setup();
    fake.script({ outputTokens: 40, chunkDelayMs: 5 });
    const controller = new AbortController();
    const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 100, experimental_telemetry: telemetry, abortSignal: controller.signal });
    let parts = 0;
    for await (const part of result.textStream) {
      void part;
      if (++parts === 5) controller.abort();
    }
    await t.forceFlush();
    const [record] = await t.ledger.records({ limit: 10 });
    expect(record).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', status: 'error', metadata: { errorType: 'AbortError', costSource: 'estimated' } });
    expect(record?.outputTokens).toBeGreaterThanOrEqual(5);
    expect(record?.outputTokens).toBeLessThan(40);
    expect(record?.costNanos).toBe((record?.inputTokens ?? 0) * MINI_IN + (record?.outputTokens ?? 0) * MINI_OUT);
    const [status] = await t.budgetStatus();
    expect(status).toMatchObject({ reservedUsd: 0, spentUsd: (record?.costNanos ?? 0) / 1e9 });
    expect(t.spanProcessor.openSpanCount).toBe(0);
  });

  it('generateText over a spent budget: the caller catches BudgetExceededError and nothing is sent', async () => {
    const { tollgate: t, openai, telemetry } = setup(0.000001);
    const before = fake.requests.length;
    const err = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 50, experimental_telemetry: telemetry }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'day', scope: 'daily', action: 'deny', limitUsd: 0.000001 });
    expect(fake.requests.length).toBe(before);
    const [denied] = await t.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
  });

  it('streamText over a spent budget: the error the stream raises is BudgetExceededError, and nothing is sent', async () => {
    const { openai, telemetry } = setup(0.000001);
    const before = fake.requests.length;
    const seen: unknown[] = [];
    const result = streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'one two three four',
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
