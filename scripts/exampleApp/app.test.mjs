// An example app: a fresh project with the packed tollgate tarball installed beside
// @opentelemetry/sdk-node 0.301, openai 7 and ai 7 (+ @ai-sdk/openai, @ai-sdk/otel), on Node 24.
// tollgate.start() builds the host's NodeSDK exporting OTLP over http/protobuf to a local receiver
// that decodes the requests; calls go through openai 7 and the AI SDK to the fake OpenAI server the
// package ships; a deny budget is met by both. Run by scripts/testExampleApp.sh from that project.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { trace } from '@opentelemetry/api';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { BudgetExceededError, createTollgate } from 'tollgate';
import { instrumentOpenAI } from 'tollgate/openai';
import { decodeMetrics, decodeTraces } from './otlpProto.mjs';

// The fake provider server inside the installed package (dist/src/demo/fakes ships for `tollgate demo`).
const { startFakeOpenAI } = await import(new URL('./node_modules/tollgate/dist/src/demo/fakes/startFakeOpenAI.js', import.meta.url).href);

describe('example app: packed tollgate + sdk-node 0.301 + openai 7 + ai 7', () => {
  const received = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-example-app-'));
  let fake;
  let tollgate;
  let otel;
  let openai;
  let model;
  const telemetry = () => ({ integrations: [new OpenTelemetry({ tracer: trace.getTracer('gen_ai') })] });

  before(async () => {
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${receiver.address().port}`;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    process.env.OTEL_SERVICE_NAME = 'example-app';
    fake = await startFakeOpenAI({ outputTokens: 4 });
    // The default store (SQLite: better-sqlite3 as the install compiled it), a deny budget of one cent a day.
    tollgate = createTollgate({ store: `sqlite:${join(dir, 'ledger.db')}`, configFile: false, env: {}, budgets: [{ id: 'day', scope: 'daily', maxUsd: 0.01, onExceed: 'deny' }] });
    otel = tollgate.start();
    openai = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    model = createOpenAI({ baseURL: fake.baseURL, apiKey: 'test' })('gpt-4o-mini');
  });
  after(async () => {
    await fake?.close();
    await new Promise((resolve) => receiver.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('openai 7 and ai 7 calls are priced while under budget', async () => {
    const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }] });
    assert.equal(reply.choices[0].message.content, 'tok0 tok1 tok2 tok3');
    const result = await generateText({ model, prompt: 'one two three', maxOutputTokens: 50, telemetry: telemetry() });
    assert.equal(result.text, 'tok0 tok1 tok2 tok3');
    await tollgate.forceFlush();
    const [row] = await tollgate.usage({ by: 'model', where: { status: 'ok' } });
    // gpt-4o-mini: 3 in x 150 + 4 out x 600 nano-USD, twice.
    assert.deepEqual({ key: row?.key, calls: row?.calls, costNanos: row?.costNanos }, { key: 'gpt-4o-mini', calls: 2, costNanos: 2 * 2_850 });
  });

  it('a deny budget: the caller sees BudgetExceededError through openai 7 and through ai 7, and nothing is sent', async () => {
    // $0.0105 of gpt-4o-mini input: spends the rest of the day's cent.
    await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1, maxTokens: 0 }, (c) => c.setUsage({ input: 70_000, output: 0 }));
    const sent = fake.requests.length;
    const viaOpenAI = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] }).catch((e) => e);
    assert.ok(viaOpenAI instanceof BudgetExceededError, `openai 7: got ${String(viaOpenAI)}`);
    assert.equal(viaOpenAI.budgetId, 'day');
    const viaAi = await generateText({ model, prompt: 'again', maxOutputTokens: 50, telemetry: telemetry() }).catch((e) => e);
    assert.ok(viaAi instanceof BudgetExceededError, `ai 7: got ${String(viaAi)}`);
    assert.equal(viaAi.budgetId, 'day');
    assert.equal(fake.requests.length, sent, 'no denied request reached the provider');
    await tollgate.forceFlush();
    const [denied] = await tollgate.usage({ by: 'status', where: { status: 'denied' } });
    assert.equal(denied?.calls, 2);
  });

  it('spans and GenAI metrics reach the local receiver over OTLP/protobuf, decoded', async () => {
    await tollgate.forceFlush();
    await otel.shutdown();
    await tollgate.shutdown();
    assert.deepEqual([...new Set(received.map((r) => r.path))].sort(), ['/v1/metrics', '/v1/traces']);
    for (const r of received) assert.equal(r.type, 'application/x-protobuf');
    const spans = received.filter((r) => r.path === '/v1/traces').flatMap((r) => decodeTraces(r.body));
    const chats = spans.filter((s) => s.name === 'chat gpt-4o-mini');
    const priced = chats.filter((s) => s.attributes['tollgate.cost.nanos'] === 2_850);
    assert.ok(priced.length >= 2, `two priced chat spans (openai 7 and ai 7); got ${JSON.stringify(chats.map((s) => [s.scope, s.attributes['tollgate.cost.nanos']]))}`);
    for (const s of priced) {
      assert.equal(s.resource['service.name'], 'example-app');
      assert.equal(s.attributes['gen_ai.request.model'], 'gpt-4o-mini');
      assert.equal(s.attributes['gen_ai.usage.input_tokens'], 3);
      assert.equal(s.attributes['gen_ai.usage.output_tokens'], 4);
      assert.ok(Math.abs(s.attributes['gen_ai.usage.cost'] - 0.00000285) < 1e-12, `gen_ai.usage.cost ${s.attributes['gen_ai.usage.cost']}`);
      assert.match(s.traceId, /^[0-9a-f]{32}$/);
    }
    const metrics = received.filter((r) => r.path === '/v1/metrics').flatMap((r) => decodeMetrics(r.body));
    const names = new Set(metrics.filter((m) => m.scope === 'tollgate').map((m) => m.name));
    for (const name of ['gen_ai.client.token.usage', 'tollgate.cost']) assert.ok(names.has(name), `${name} received; got ${[...names].join(', ')}`);
    assert.ok(metrics.every((m) => m.resource['service.name'] === 'example-app'));
  });
});
