// Benchmark 1b: the real `openai` client (chat.completions.create, non-streaming) against the
// fake OpenAI server in this process: no instrumentation vs @opentelemetry/instrumentation-openai
// vs tollgate's instrumentOpenAI (memory store). Variants are interleaved in rounds.
import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { OpenAI as EsmOpenAI } from 'openai';
import { instrumentOpenAI } from '../dist/instrumentations/openai/index.js';
import { startFakeOpenAI } from '../dist/test/fakes/startFakeOpenAI.js';
import { compare } from './lib/measure.js';
import { makeBareProvider, makeTollgate } from './lib/setup.js';

const require = createRequire(import.meta.url);
const BODY = { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello in five words.' }] };

export async function runOpenAIClient() {
  const fake = await startFakeOpenAI({ outputTokens: 20 });
  try {
    // Contrib instrumentation: patches the CommonJS build of `openai` when it is required.
    const instrumentation = new OpenAIInstrumentation();
    // This version leaves its metric instruments unset until a meter provider is given.
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    instrumentation.setTracerProvider(makeBareProvider());
    instrumentation.enable();
    const { OpenAI: CjsOpenAI } = require('openai');
    const options = { baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 };
    // The ESM build is a separate module the require hook never patches: the uninstrumented
    // client and the one tollgate instruments (per client, nothing global) come from it.
    const plain = new EsmOpenAI(options);
    const contrib = new CjsOpenAI(options);
    const t = makeTollgate();
    const gated = instrumentOpenAI(new EsmOpenAI(options), t.tollgate);

    // Check each variant does what it says once before timing.
    const res = await gated.chat.completions.create(BODY);
    if (res.usage?.completion_tokens !== 20) throw new Error('fake OpenAI did not answer as expected');
    const usage = await t.tollgate.usage({ by: 'model' });
    if (usage[0]?.calls !== 1 || !(usage[0].costNanos > 0)) throw new Error(`tollgate did not price the call: ${JSON.stringify(usage)}`);

    const results = await compare(
      [
        { name: 'openai, no instrumentation', fn: () => plain.chat.completions.create(BODY) },
        { name: 'openai + @opentelemetry/instrumentation-openai', fn: () => contrib.chat.completions.create(BODY) },
        {
          name: 'openai + tollgate instrumentOpenAI',
          fn: () => gated.chat.completions.create(BODY),
          between: () => void t.tollgate.ledger.prune(Date.now() + 1),
        },
      ],
      { rounds: 11, batch: 100, warmup: 1 },
    );
    instrumentation.disable();
    await t.shutdown();
    return { results };
  } finally {
    await fake.close();
  }
}
