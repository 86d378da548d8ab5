// Benchmark 1b: the real `openai` client (chat.completions.create, non-streaming) against the
// fake OpenAI server of src/demo/fakes, started in the same process: no instrumentation vs
// @opentelemetry/instrumentation-openai vs tollgate's instrumentOpenAI (memory store). Each
// variant runs in a process of its own (lib/isolated.js), so the contrib instrumentation's
// require hook patches only the process that measures it.
import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { runIsolated } from './lib/isolated.js';
import { makeBareProvider, makeTollgate, steadyPrune } from './lib/setup.js';

const require = createRequire(import.meta.url);
const BODY = { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello in five words.' }] };
export const NAMES = {
  none: 'openai, no instrumentation',
  contrib: 'openai + @opentelemetry/instrumentation-openai',
  tollgate: 'openai + tollgate instrumentOpenAI',
};

/** One variant, set up in the process that measures it: a fake server and a client of the kind named. */
export async function variant(name) {
  const { startFakeOpenAI } = await import('../dist/src/demo/fakes/startFakeOpenAI.js');
  const fake = await startFakeOpenAI({ outputTokens: 20 });
  const options = { baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 };
  let client;
  let t;
  if (name === NAMES.contrib) {
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation();
    // This version leaves its metric instruments unset until a meter provider is given.
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    instrumentation.setTracerProvider(makeBareProvider());
    instrumentation.enable();
    // The instrumentation patches the CommonJS build of `openai` when it is required.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
  } else {
    // The same CommonJS build as the contrib variant, so that only the instrumentation differs.
    const { OpenAI } = require('openai');
    client = new OpenAI(options);
    if (name === NAMES.tollgate) {
      const { instrumentOpenAI } = await import('../dist/instrumentations/openai/index.js');
      t = makeTollgate();
      client = instrumentOpenAI(client, t.tollgate);
    }
  }
  // Each variant does what it says once before it is timed.
  const res = await client.chat.completions.create(BODY);
  if (res.usage?.completion_tokens !== 20) throw new Error('fake OpenAI did not answer as expected');
  if (t !== undefined) {
    const usage = await t.tollgate.usage({ by: 'model' });
    if (usage[0]?.calls !== 1 || !(usage[0].costNanos > 0)) throw new Error(`tollgate did not price the call: ${JSON.stringify(usage)}`);
  }
  return {
    fn: () => client.chat.completions.create(BODY),
    ...(t !== undefined ? { between: steadyPrune(t.tollgate.ledger) } : {}),
    close: async () => {
      await t?.shutdown();
      await fake.close();
    },
  };
}

export async function runOpenAIClient() {
  const names = [NAMES.none, NAMES.contrib, NAMES.tollgate];
  const results = await runIsolated('openaiClient.js', names, { rounds: 41, warmup: 3, batch: 100, baseline: NAMES.contrib });
  return { results };
}
