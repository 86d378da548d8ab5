// The Vercel AI SDK in a service with OpenTelemetry: tollgate prices and caps the calls it makes.
import { anthropic } from '@ai-sdk/anthropic';
import { openai } from '@ai-sdk/openai';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { generateText } from 'ai';
import { BudgetExceededError, createTollgate } from 'tollgate';

const tollgate = createTollgate({ store: 'memory:', budgets: [{ scope: 'daily', maxUsd: 20, onExceed: 'deny' }] });
const sdk = new NodeSDK({ spanProcessors: [tollgate.spanProcessor], metricReaders: [], logRecordProcessors: [] });
sdk.start();

// OPENAI_API_KEY / OPENAI_BASE_URL and ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL come from the environment, as usual.
// The AI SDK makes spans only when asked: turn its telemetry on for every call tollgate should see.
const telemetry = { isEnabled: true };
for (const model of [openai('gpt-4o-mini'), anthropic('claude-haiku-4-5')]) {
  const { text } = await generateText({ model, prompt: 'Name three colours.', maxOutputTokens: 50, experimental_telemetry: telemetry });
  console.log(text);
}

await tollgate.addBudget({ id: 'freeze', scope: 'total', maxUsd: 0.000001, onExceed: 'deny' });
try {
  await generateText({ model: anthropic('claude-haiku-4-5'), prompt: 'One more?', experimental_telemetry: telemetry });
} catch (err) {
  // The refusal itself, not an APICallError: nothing was sent.
  if (!(err instanceof BudgetExceededError)) throw err;
  console.log(`denied by the ${err.scope} budget "${err.budgetId}"`);
}

// What each model cost (the Anthropic call is charged to provider anthropic, its cache tokens at their own rates).
for (const row of await tollgate.usage({ by: 'model', where: { status: 'ok' } })) {
  console.log(`${row.key}: ${row.calls} call, $${row.costNanos / 1e9}`);
}
await tollgate.shutdown();
await sdk.shutdown();
