/**
 * The Vercel AI SDK 7 (`ai` 7, `@ai-sdk/openai` 4 and its OpenTelemetry integration
 * `@ai-sdk/otel`; Node >= 22) against the fake OpenAI server. The repository's devDependencies
 * are ai 6; `.ci/run` installs these into a scratch folder in its Node 24 leg and names it in
 * TOLLGATE_AI7_DIR. Without the variable the file is skipped.
 */
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { Tracer } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate, type Tollgate } from '../../src/createTollgate.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';
import { loadScratchPackage } from '../helpers/scratchPackage.js';

const dir = process.env.TOLLGATE_AI7_DIR;

interface Ai7 {
  generateText(options: Record<string, unknown>): Promise<{ text: string; usage: { inputTokens?: number; outputTokens?: number } }>;
}
interface AiOtel {
  OpenTelemetry: new (options: { tracer: Tracer }) => unknown;
}
interface AiOpenAI {
  createOpenAI(options: { baseURL: string; apiKey: string }): (model: string) => unknown;
}

/** A package installed in `dir`, loaded as an ES module, with its version. */
const load = <T>(name: string): Promise<{ mod: T; version: string }> => loadScratchPackage<T>(dir as string, name);

describe.skipIf(dir === undefined)('Vercel AI SDK 7 with @ai-sdk/otel (TOLLGATE_AI7_DIR)', () => {
  let ai: Ai7;
  let otel: AiOtel;
  let openaiProvider: AiOpenAI;
  let aiVersion: string;
  let fake: FakeOpenAI;
  let tollgate: Tollgate | undefined;
  let provider: TracerProvider | undefined;

  beforeAll(async () => {
    const loaded = await load<Ai7>('ai');
    ai = loaded.mod;
    aiVersion = loaded.version;
    otel = (await load<AiOtel>('@ai-sdk/otel')).mod;
    openaiProvider = (await load<AiOpenAI>('@ai-sdk/openai')).mod;
    fake = await startFakeOpenAI({ outputTokens: 6 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  afterEach(async () => {
    await provider?.shutdown();
    await tollgate?.shutdown();
    provider = undefined;
    tollgate = undefined;
  });

  function setup(maxUsd: number) {
    ensureContextManager();
    const t = createTollgate({ store: 'memory:', configFile: false, env: {}, budgets: [{ id: 'day', scope: 'daily', maxUsd, onExceed: 'deny' }] });
    const exporter = new InMemorySpanExporter();
    const p = new TracerProvider({ spanProcessors: [t.spanProcessor, new SimpleSpanProcessor({ exporter })] });
    tollgate = t;
    provider = p;
    const model = openaiProvider.createOpenAI({ baseURL: fake.baseURL, apiKey: 'test' })('gpt-4o-mini');
    const telemetry = { integrations: [new otel.OpenTelemetry({ tracer: p.getTracer('gen_ai') })] };
    return { tollgate: t, model, telemetry, exporter };
  }

  it('is ai 7', () => {
    expect(aiVersion).toMatch(/^7\./);
  });

  it('generateText (Responses API): the chat span is priced and the call charged', async () => {
    const { tollgate: t, model, telemetry, exporter } = setup(1);
    const result = await ai.generateText({ model, prompt: 'one two three', maxOutputTokens: 50, telemetry });
    expect(result.text).toBe('tok0 tok1 tok2 tok3 tok4 tok5');
    const cost = 3 * 150 + 6 * 600; // gpt-4o-mini: 150 / 600 nano-USD per token
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    expect(span?.attributes['tollgate.cost.nanos']).toBe(cost);
    const [row] = await t.usage({ by: 'model' });
    expect(row).toMatchObject({ key: 'gpt-4o-mini', calls: 1, inputTokens: 3, outputTokens: 6, costNanos: cost });
  });

  it('over a spent budget the caller catches BudgetExceededError, and nothing is sent', async () => {
    const { tollgate: t, model, telemetry } = setup(0.000001);
    const before = fake.requests.length;
    const err = await ai.generateText({ model, prompt: 'one two three', maxOutputTokens: 50, telemetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'day', action: 'deny' });
    expect(fake.requests.length).toBe(before);
    const [denied] = await t.usage({ by: 'status', where: { status: 'denied' } });
    expect(denied?.calls).toBe(1);
  });
});
