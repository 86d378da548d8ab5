// tollgate.start() on the OpenTelemetry SDK 3.x line: the host's sdk-node 0.3xx builds the SDK,
// OTLP over http/protobuf to a local receiver (paths and content types checked).
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTollgate } from 'tollgate';

describe('tollgate.start() with @opentelemetry/sdk-node 0.3xx', () => {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  before(async () => {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${server.address().port}`;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    process.env.OTEL_SERVICE_NAME = 'otel3-service';
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('exports spans and GenAI metrics over OTLP/protobuf', async () => {
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {} });
    const otel = tollgate.start();
    await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 10 }));
    await otel.shutdown();
    await tollgate.shutdown();
    assert.deepEqual([...new Set(received.map((r) => r.path))].sort(), ['/v1/metrics', '/v1/traces']);
    for (const r of received) assert.equal(r.type, 'application/x-protobuf');
    const traces = Buffer.concat(received.filter((r) => r.path === '/v1/traces').map((r) => r.body));
    assert.ok(traces.includes('chat gpt-4o-mini') && traces.includes('otel3-service') && traces.includes('gen_ai.usage.cost'));
    const metricBodies = Buffer.concat(received.filter((r) => r.path === '/v1/metrics').map((r) => r.body));
    assert.ok(metricBodies.includes('gen_ai.client.token.usage'));
  });
});
