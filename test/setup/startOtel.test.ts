/**
 * tollgate.start() for a service with no OTel yet: a NodeSDK whose exporters follow the standard
 * variables (protocol, endpoints per signal, headers, service name, none). A local HTTP receiver
 * stands in for the collector and records the path and content type of every request.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../src/createTollgate.js';
import { hostLoggerRegistered } from '../../src/sinks/hostLogs.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const OTEL_VARS = /^OTEL_/;

describe('tollgate.start()', () => {
  let received: Received[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      // An empty body is a valid answer for both encodings (an empty Export*ServiceResponse).
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end(req.headers['content-type'] === 'application/json' ? '{}' : '');
    });
  });
  const saved = { ...process.env };
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    process.env = { ...saved };
    received = [];
    // Each start() registers the SDK globally: clear it so the next one can register.
    metrics.disable();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** start() under exactly these OTEL_* variables, one priced call in a task, then shutdown (which flushes both signals). */
  async function runWith(env: Record<string, string>): Promise<Received[]> {
    for (const key of Object.keys(process.env)) if (OTEL_VARS.test(key)) delete process.env[key];
    Object.assign(process.env, env);
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
    const otel = tollgate.start();
    await tollgate.task('T-1', () => tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 10 })));
    await otel.shutdown();
    await tollgate.shutdown();
    return received;
  }

  const paths = (rs: Received[]): string[] => [...new Set(rs.map((r) => r.path))].sort();

  it('exports spans over OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_HEADERS and OTEL_SERVICE_NAME', async () => {
    const got = await runWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=test-key',
      OTEL_SERVICE_NAME: 'checkout-agent',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const traces = got.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.headers['content-type']).toBe('application/json');
    expect(traces[0]!.headers['x-honeycomb-team']).toBe('test-key');
    const body = traces.map((r) => r.body.toString('utf8')).join('\n');
    expect(body).toContain('checkout-agent');
    expect(body).toContain('chat gpt-4o-mini');
    expect(body).toContain('gen_ai.usage.cost');
    expect(body).toContain('"invoke_agent task"');
    expect(body).toContain('T-1'); // as tollgate.task.id
    expect(got.find((r) => r.path === '/v1/metrics')?.headers['content-type']).toBe('application/json');
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf sends protobuf for both signals', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'checkout-agent' });
    expect(paths(got)).toEqual(['/v1/metrics', '/v1/traces']);
    for (const r of got) expect(r.headers['content-type']).toBe('application/x-protobuf');
    // Protobuf keeps strings as UTF-8 bytes: the span name, the attribute keys and the metric names are in the bodies.
    const traces = Buffer.concat(got.filter((r) => r.path === '/v1/traces').map((r) => r.body));
    expect(traces.includes('chat gpt-4o-mini')).toBe(true);
    expect(traces.includes('gen_ai.usage.cost')).toBe(true);
    expect(traces.includes('checkout-agent')).toBe(true);
    const metricBodies = Buffer.concat(got.filter((r) => r.path === '/v1/metrics').map((r) => r.body));
    expect(metricBodies.includes('gen_ai.client.token.usage')).toBe(true);
  });

  it('the default protocol is http/protobuf, as the SDK defines it', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_ENDPOINT: base });
    expect(got.length).toBeGreaterThan(0);
    for (const r of got) expect(r.headers['content-type']).toBe('application/x-protobuf');
  });

  it('a per-signal protocol wins over OTEL_EXPORTER_OTLP_PROTOCOL', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' });
    expect(got.find((r) => r.path === '/v1/traces')?.headers['content-type']).toBe('application/x-protobuf');
    expect(got.find((r) => r.path === '/v1/metrics')?.headers['content-type']).toBe('application/json');
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT alone sends spans to that URL as it is (and metrics go nowhere else)', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${base}/custom/traces`, OTEL_METRICS_EXPORTER: 'none' });
    expect(paths(got)).toEqual(['/custom/traces']);
    expect(Buffer.concat(got.map((r) => r.body)).includes('chat gpt-4o-mini')).toBe(true);
  });

  it('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT alone sends metrics there', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${base}/custom/metrics`, OTEL_TRACES_EXPORTER: 'none' });
    expect(paths(got)).toEqual(['/custom/metrics']);
  });

  it('OTEL_TRACES_EXPORTER=none exports no spans, metrics still go', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_TRACES_EXPORTER: 'none' });
    expect(paths(got)).toEqual(['/v1/metrics']);
  });

  it('OTEL_METRICS_EXPORTER=none exports no metrics, spans still go', async () => {
    const got = await runWith({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_METRICS_EXPORTER: 'none' });
    expect(paths(got)).toEqual(['/v1/traces']);
  });

  it('start({ exporter }) in code wins over the environment', async () => {
    const got = await (async () => {
      for (const key of Object.keys(process.env)) if (OTEL_VARS.test(key)) delete process.env[key];
      Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_TRACES_EXPORTER: 'otlp' });
      const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
      const otel = tollgate.start({ exporter: 'none' });
      await tollgate.llm({ provider: 'openai', model: 'gpt-4o-mini' }, (c) => c.setUsage({ input: 10, output: 10 }));
      await otel.shutdown();
      await tollgate.shutdown();
      return received;
    })();
    expect(got).toEqual([]);
  });

  it("leaves no logger provider registered when the service had none, so tollgate's log lines stay on stderr (either SDK line)", async () => {
    for (const key of Object.keys(process.env)) if (OTEL_VARS.test(key)) delete process.env[key];
    process.env.OTEL_TRACES_EXPORTER = 'none';
    process.env.OTEL_METRICS_EXPORTER = 'none';
    expect(hostLoggerRegistered()).toBe(false);
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
    const otel = tollgate.start();
    // NodeSDK registers a provider without processors (in api-logs on 0.2xx, in @opentelemetry/api on 0.3xx): start() takes it away.
    expect(hostLoggerRegistered()).toBe(false);
    await otel.shutdown();
    await tollgate.shutdown();
  });

  it('an OTEL_* value tollgate cannot honour is a ConfigError naming the variable', () => {
    for (const key of Object.keys(process.env)) if (OTEL_VARS.test(key)) delete process.env[key];
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/xml';
    const tollgate = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
    expect(() => tollgate.start()).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL.*http\/protobuf/);
    return tollgate.shutdown();
  });
});
