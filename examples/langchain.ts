// LangChain.js in a service with OpenTelemetry: the OpenAI instrumentation makes a span for each
// call ChatOpenAI sends, and tollgate prices and caps it.
import { register } from 'node:module';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { budgetExceededFrom, createTollgate } from 'tollgate';

// ES modules: let instrumentations patch the modules imported from here on (or start node with
// --import @opentelemetry/instrumentation/hook.mjs). CommonJS services need neither.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const tollgate = createTollgate({ store: 'memory:', budgets: [{ scope: 'daily', maxUsd: 20, onExceed: 'deny' }] });
const sdk = new NodeSDK({
  spanProcessors: [tollgate.spanProcessor],
  instrumentations: [new OpenAIInstrumentation()],
  metricReaders: [],
  logRecordProcessors: [],
});
sdk.start();

// Imported after sdk.start(), so the openai client inside ChatOpenAI is instrumented.
const { ChatOpenAI } = await import('@langchain/openai');
// OPENAI_API_KEY and OPENAI_BASE_URL come from the environment, as usual.
const model = new ChatOpenAI({ model: 'gpt-4o-mini', maxTokens: 50, configuration: { baseURL: process.env.OPENAI_BASE_URL } });
const reply = await model.invoke('Name three colours.');
console.log(reply.content);

await tollgate.addBudget({ id: 'freeze', scope: 'total', maxUsd: 0.000001, onExceed: 'deny' });
try {
  await model.invoke('One more?');
} catch (err) {
  // LangChain hands on the OpenAI SDK's error (HTTP 402, not retried, nothing sent); the refusal is inside.
  const refusal = budgetExceededFrom(err);
  if (refusal === undefined) throw err;
  console.log(`denied by the ${refusal.scope} budget "${refusal.budgetId}"`);
}

const [spent] = await tollgate.usage({ by: 'model', where: { status: 'ok' } });
console.log(`${spent?.key}: ${spent?.calls} call, $${(spent?.costNanos ?? 0) / 1e9}`);
await tollgate.shutdown();
await sdk.shutdown();
