// A service on the OpenTelemetry SDK 3.x line with its own NodeSDK, set up in README's order:
// createTollgate first, then the SDK with tollgate.spanProcessor. Run by scripts/testOtel3.sh
// from a folder whose node_modules hold the SDK 3.x packages and tollgate's package.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { BudgetExceededError, createTollgate } from 'tollgate';
import { instrumentOpenAI } from 'tollgate/openai';

const root = process.env.TOLLGATE_ROOT;
assert.ok(root, 'TOLLGATE_ROOT (the repository, for its fake provider server) must be set; run scripts/testOtel3.sh');
const { startFakeOpenAI } = await import(`${root}/dist/src/demo/fakes/startFakeOpenAI.js`);
const here = createRequire(`${process.cwd()}/`);
const fromTollgate = createRequire(here.resolve('tollgate/package.json'));

describe('tollgate in a service on OpenTelemetry SDK 3.x', () => {
  let fake;
  let tollgate;
  let sdk;
  const spans = new InMemorySpanExporter();
  const exportSpans = new SimpleSpanProcessor({ exporter: spans });
  /** Settlements done, and the 3.x SimpleSpanProcessor's exports (it exports asynchronously) too. */
  const flushed = async () => {
    await tollgate.forceFlush();
    await exportSpans.forceFlush();
  };
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });

  before(async () => {
    fake = await startFakeOpenAI({ outputTokens: 20 });
    // README's order: tollgate first (its meters bind when calls settle), then the service's SDK.
    tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, budgets: [{ scope: 'daily', maxUsd: 0.01, onExceed: 'deny' }] });
    sdk = new NodeSDK({ spanProcessors: [tollgate.spanProcessor, exportSpans], metricReaders: [reader], instrumentations: [] });
    sdk.start();
  });
  after(async () => {
    await sdk.shutdown();
    await tollgate.shutdown();
    await fake.close();
  });

  it('has one copy of the SDK: tollgate resolves the service\'s API and brings no SDK package of its own', () => {
    // The package folder of `pkg` as `from` resolves it (packages that export no package.json included).
    const folder = (from, pkg) => from.resolve(pkg).replace(/(node_modules\/@opentelemetry\/[^/]+)\/.*$/, '$1');
    const api = (from) => JSON.parse(readFileSync(`${folder(from, '@opentelemetry/api')}/package.json`, 'utf8')).version;
    assert.equal(folder(fromTollgate, '@opentelemetry/api'), folder(here, '@opentelemetry/api'));
    assert.equal(api(fromTollgate), api(here));
    assert.match(api(here), /^1\.10\./);
    for (const pkg of ['@opentelemetry/sdk-trace-base', '@opentelemetry/core', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-node']) {
      const resolved = (() => {
        try {
          return fromTollgate.resolve(pkg);
        } catch {
          return undefined;
        }
      })();
      if (resolved !== undefined) assert.ok(!resolved.includes('/tollgate/node_modules/'), `${pkg} resolves inside tollgate: ${resolved}`);
    }
    assert.throws(() => here.resolve('@opentelemetry/sdk-trace-base'), /Cannot find module/); // the 3.x line has no sdk-trace-base
  });

  it('prices a wrapped OpenAI call on the 3.x tracer, names the task span low-cardinality, and records GenAI metrics', async () => {
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    await tollgate.task('T-1', () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }] }));
    await flushed();
    const chat = spans.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    assert.ok(chat, 'the call span was exported through the 3.x SDK');
    assert.ok(chat.attributes['gen_ai.usage.cost'] > 0);
    assert.ok(chat.attributes['tollgate.cost.nanos'] > 0);
    const task = spans.getFinishedSpans().find((s) => s.name === 'invoke_agent task');
    assert.equal(task?.attributes['tollgate.task.id'], 'T-1');
    await reader.forceFlush();
    const scope = metricExporter.getMetrics().at(-1)?.scopeMetrics.find((s) => s.scope.name === 'tollgate');
    const names = (scope?.metrics ?? []).map((m) => m.descriptor.name);
    assert.ok(names.includes('gen_ai.client.token.usage'), `GenAI metrics recorded: ${names.join(', ')}`);
    assert.ok(names.includes('tollgate.cost'));
  });

  it('prices a span of another instrumentation made by a 3.x tracer (the processor runs inside the 3.x SDK)', async () => {
    const tracer = trace.getTracer('some-genai-instrumentation');
    const span = tracer.startSpan('chat gpt-4o-mini', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' } });
    span.setAttributes({ 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100 });
    span.end();
    await flushed();
    const exported = spans.getFinishedSpans().find((s) => s.instrumentationScope.name === 'some-genai-instrumentation');
    assert.equal(exported?.attributes['tollgate.cost.nanos'], 1000 * 150 + 100 * 600);
  });

  it('a deny budget refuses the call before it is sent: the caller sees BudgetExceededError', async () => {
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1, maxTokens: 0 }, (c) => c.setUsage({ input: 70_000, output: 0 })); // $0.0105: spends the rest
    const sent = fake.requests.length;
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] }).catch((e) => e);
    assert.ok(err instanceof BudgetExceededError, `got ${String(err)}`);
    assert.equal(fake.requests.length, sent, 'no request reached the provider');
  });
});
