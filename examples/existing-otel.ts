// A service that already uses OpenTelemetry: add tollgate's processor and sampler, wrap the client.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { BudgetExceededError, createTollgate, tollgateSampler } from 'tollgate';
import { instrumentOpenAI } from 'tollgate/openai';

const tollgate = createTollgate({
  store: 'memory:', // 'sqlite:.tollgate/ledger.db' (the default) | 'redis://127.0.0.1:6379/0'
  budgets: [
    { scope: 'daily', maxUsd: 20, onExceed: 'deny' },
    { scope: 'task', maxUsd: 0.00055, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' },
  ],
});

const sdk = new NodeSDK({
  spanProcessors: [tollgate.spanProcessor /* , your exporters' processors */],
  // Sample 10 % of traces for export; tollgate still sees and charges every LLM call.
  sampler: tollgateSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })),
  metricReaders: [],
  logRecordProcessors: [],
});
sdk.start();

// OPENAI_API_KEY and OPENAI_BASE_URL come from the environment, as usual.
const openai = instrumentOpenAI(new OpenAI({ maxRetries: 0 }), tollgate);

const answer = await tollgate.task('T-123', async () => {
  const first = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'Plan the work.' }] });
  // The task budget is nearly spent: this call is re-routed to gpt-4o-mini before it is sent.
  const second = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'Do the work.' }] });
  return `${first.model} then ${second.model}`;
});
console.log(answer); // gpt-4o then gpt-4o-mini

try {
  await tollgate.addBudget({ id: 'freeze', scope: 'total', maxUsd: 0.000001, onExceed: 'deny' });
  await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'One more?' }] });
} catch (err) {
  if (!(err instanceof BudgetExceededError)) throw err;
  console.log(`denied by the ${err.scope} budget "${err.budgetId}": needs up to $${err.attemptedUsd}, limit $${err.limitUsd}`);
}

const [byTask] = await tollgate.usage({ by: 'task' });
console.log(`task ${byTask?.key}: ${byTask?.calls} calls, $${(byTask?.costNanos ?? 0) / 1e9}`);
await tollgate.shutdown();
await sdk.shutdown();
