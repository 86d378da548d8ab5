/**
 * tollgate.start() for a service with no OTel yet: a NodeSDK whose OTLP/HTTP exporter follows
 * the standard variables (endpoint, headers such as Honeycomb's, service name). A local HTTP
 * receiver stands in for the collector.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../src/createTollgate.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

describe('tollgate.start()', () => {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const saved = { ...process.env };
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-honeycomb-team=test-key';
    process.env.OTEL_SERVICE_NAME = 'checkout-agent';
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_HEADERS and OTEL_SERVICE_NAME', async () => {
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
    const otel = tollgate.start();
    await tollgate.task('T-1', () => tollgate.llm({ model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 10 })));
    await otel.shutdown(); // flushes the batch processor
    await tollgate.shutdown();
    const traces = received.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.headers['x-honeycomb-team']).toBe('test-key');
    const body = traces.map((r) => r.body.toString('utf8')).join('\n');
    expect(body).toContain('checkout-agent');
    expect(body).toContain('chat gpt-4o-mini');
    expect(body).toContain('gen_ai.usage.cost');
    expect(body).toContain('task T-1');
  });
});
