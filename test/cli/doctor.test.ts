import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { buildCli } from './buildCli.js';
import { makeCliFixture } from './cliFixture.js';
import type { CliFixture } from './cliFixture.js';
import { Redis } from 'ioredis';
import { redisServerStatus, startRedisServer } from '../helpers/redisServer.js';
import { runCli } from './runCli.js';
import { startSmtpReceiver } from '../helpers/smtpReceiver.js';

interface DoctorJson {
  ok: boolean;
  checks: { name: string; status: string; detail: string }[];
}

const servers: Server[] = [];

beforeAll(async () => {
  await buildCli();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((done) => s.close(() => done()))));
});

/** A config with a valid pricing file beside it. */
function goodFixture(): CliFixture {
  const fx = makeCliFixture('[pricing]\nfiles = ["prices.json"]\n');
  writeFileSync(join(fx.dir, 'prices.json'), JSON.stringify({ 'acme/rocket-1': { input_per_1k: 0.001, output_per_1k: 0.002 } }));
  return fx;
}

/** How many models the doctor should count for a config file. */
function modelCount(configPath: string): number {
  const config = loadConfig({ file: configPath, env: {} });
  return new PricingCatalog({ overrides: config.pricing.overrides, files: config.pricing.files, localModels: config.pricing.localModels }).list().length;
}

/** A local HTTP server answering every request with `status`; records what it received. */
async function httpServer(status: number, body = ''): Promise<{ url: string; requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] }> {
  const requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('tollgate doctor', () => {
  it('passes with a good config: config file, pricing file, store; OTLP skipped when not configured', async () => {
    const fx = goodFixture();
    const r = await runCli(['doctor', '--json'], { cwd: fx.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      checks: [
        { name: 'config', status: 'ok', detail: `parsed ${fx.configPath}` },
        { name: 'pricing', status: 'ok', detail: `${modelCount(fx.configPath)} models; 1 pricing file, 0 overrides` },
        { name: 'store', status: 'ok', detail: `sqlite:${fx.dbPath} reachable` },
        { name: 'otlp', status: 'skipped', detail: 'OTEL_EXPORTER_OTLP_ENDPOINT is not set' },
      ],
    });

    const text = await runCli(['doctor'], { cwd: fx.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`│ store   │ ok      │ sqlite:${fx.dbPath} reachable`);
    expect(text.stdout.endsWith('All checks passed.\n')).toBe(true);
  });

  it('without a config file, checks the defaults and names that', async () => {
    // runCli's default working directory is a new empty folder: no tollgate.toml there
    const empty = await runCli(['doctor', '--json'], { env: { TOLLGATE_STORE: 'memory:' } });
    expect(empty.code).toBe(0);
    expect((JSON.parse(empty.stdout) as DoctorJson).checks[0]).toEqual({ name: 'config', status: 'ok', detail: 'no config file: defaults and TOLLGATE_* environment' });
    expect((JSON.parse(empty.stdout) as DoctorJson).checks[2]).toEqual({ name: 'store', status: 'ok', detail: 'memory: reachable' });
  });

  it('exits 1 when the Redis store cannot be reached', async () => {
    const fx = goodFixture();
    const started = Date.now();
    const r = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { TOLLGATE_STORE: 'redis://127.0.0.1:1/0' } });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const json = JSON.parse(r.stdout) as DoctorJson;
    expect(json.ok).toBe(false);
    expect(json.checks.map((c) => [c.name, c.status])).toEqual([
      ['config', 'ok'],
      ['pricing', 'ok'],
      ['store', 'fail'],
      ['otlp', 'skipped'],
    ]);
    expect(json.checks[2]?.detail).toMatch(/^redis:\/\/127\.0\.0\.1:1\/0: Redis ledger ping failed/);

    const text = await runCli(['doctor'], { cwd: fx.dir, env: { TOLLGATE_STORE: 'redis://127.0.0.1:1/0' } });
    expect(text.code).toBe(1);
    expect(text.stdout.endsWith('1 check failed.\n')).toBe(true);
  });

  it.skipIf(!redisServerStatus().run)('warns (exit 0) when the Redis store has neither AOF nor RDB persistence, and not when AOF is on', async () => {
    const fx = goodFixture();
    const bare = await startRedisServer();
    const aofDir = mkdtempSync(join(tmpdir(), 'tollgate-aof-'));
    const aof = await startRedisServer({ appendOnlyDir: aofDir });
    try {
      const r = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { TOLLGATE_STORE: bare.url } });
      expect(r.code).toBe(0);
      const check = (JSON.parse(r.stdout) as DoctorJson).checks.find((c) => c.name === 'persistence');
      expect(check).toMatchObject({ status: 'warn', detail: expect.stringContaining('neither AOF nor RDB persistence is on') });
      const ok = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { TOLLGATE_STORE: aof.url } });
      expect((JSON.parse(ok.stdout) as DoctorJson).checks.find((c) => c.name === 'persistence')).toEqual({
        name: 'persistence',
        status: 'ok',
        detail: 'appendonly yes (appendfsync always), save ""',
      });
    } finally {
      await bare.kill();
      await aof.kill();
      rmSync(aofDir, { recursive: true, force: true });
    }
  });

  it.skipIf(!redisServerStatus().run)('fails (exit 1) when the data under the configured key prefix is in an earlier key layout, naming the prefix and the fix', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url);
    try {
      // An epoch as tollgate wrote it before layout 2: no layout tag.
      await client.set('old:epoch', '2026-11-30T10:00:00.000Z/4b7c9f0e-1f7e-4d6a-9a51-5d4c2b1e8f3a');
      await client.set('new:epoch', 'layout2/2026-12-04T10:00:00.000Z/6a0d3c5e-2b4f-4e8a-8c71-9f2e1d0b7a6c');
      const layoutOf = async (prefix: string): Promise<{ code: number | null; check: unknown }> => {
        const fx = makeCliFixture(`[redis]\nkeyPrefix = "${prefix}"\n`);
        const r = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { TOLLGATE_STORE: server.url } });
        return { code: r.code, check: (JSON.parse(r.stdout) as DoctorJson).checks.find((c) => c.name === 'layout') };
      };
      const old = await layoutOf('old:');
      expect(old.code).toBe(1);
      expect(old.check).toMatchObject({ status: 'fail', detail: expect.stringContaining('the data under "old:" was written by an earlier tollgate (layout1)') });
      expect(old.check).toMatchObject({ detail: expect.stringContaining('set redis.keyPrefix to a new prefix') });
      expect(await layoutOf('new:')).toEqual({ code: 0, check: { name: 'layout', status: 'ok', detail: 'layout2 under "new:"' } });
      expect(await layoutOf('empty:')).toEqual({ code: 0, check: { name: 'layout', status: 'ok', detail: 'no data under "empty:" yet' } });
    } finally {
      client.disconnect();
      await server.kill();
    }
  });

  it('exits 1 naming a bad pricing file', async () => {
    const fx = makeCliFixture('[pricing]\nfiles = ["prices.json"]\n');
    const file = join(fx.dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'gpt-4o': { input_per_1k: 'cheap', output_per_1k: 0.01 } }));
    const r = await runCli(['doctor', '--json'], { cwd: fx.dir });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as DoctorJson;
    expect(json.ok).toBe(false);
    expect(json.checks[1]).toEqual({
      name: 'pricing',
      status: 'fail',
      detail: `${file}: "gpt-4o".input_per_1k: expected a non-negative number of USD per 1k tokens, got "cheap". Fix: set input_per_1k to a price such as 0.0025`,
    });
    expect(json.checks[2]).toMatchObject({ name: 'store', status: 'ok' });
  });

  it('alerts through the configured sinks when a check fails (a broken pricing.json), as an email over SMTP', async () => {
    const smtp = await startSmtpReceiver();
    try {
      const fx = makeCliFixture(
        `[pricing]\nfiles = ["prices.json"]\n\n[[alerts]]\ntype = "email"\nurl = "${smtp.url}"\nfrom = "tollgate@example.com"\nto = "ops@example.com"\n`,
      );
      writeFileSync(join(fx.dir, 'prices.json'), '{ "gpt-4o": ');
      const r = await runCli(['doctor', '--json'], { cwd: fx.dir });
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as DoctorJson & { alerted?: number };
      expect(json.checks[1]).toMatchObject({ name: 'pricing', status: 'fail' });
      expect(json.alerted).toBe(1);
      const mail = await smtp.waitForMail(1);
      expect(mail.to).toEqual(['ops@example.com']);
      expect(mail.subject).toMatch(/^tollgate: health check failed \(pricing: .*prices\.json/);
      expect(mail.body).toContain('"check":"pricing"');

      // A passing doctor sends nothing.
      writeFileSync(join(fx.dir, 'prices.json'), JSON.stringify({ 'my/model': { input_per_1k: 0.001, output_per_1k: 0.002 } }));
      const ok = await runCli(['doctor'], { cwd: fx.dir });
      expect(ok.code).toBe(0);
      expect(ok.stdout).not.toContain('alert');
      expect(smtp.messages).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('exits 1 when the config does not parse, and skips what needs it', async () => {
    const fx = makeCliFixture('budgets = "lots"\n');
    const r = await runCli(['doctor', '--json'], { cwd: fx.dir });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as DoctorJson;
    expect(json.checks[0]?.status).toBe('fail');
    expect(json.checks[0]?.detail).toContain(fx.configPath);
    expect(json.checks[0]?.detail).toContain('budgets');
    expect(json.checks.slice(1)).toEqual([
      { name: 'pricing', status: 'skipped', detail: 'the config did not load' },
      { name: 'store', status: 'skipped', detail: 'the config did not load' },
      { name: 'otlp', status: 'skipped', detail: 'OTEL_EXPORTER_OTLP_ENDPOINT is not set' },
    ]);
  });

  it('checks the OTLP endpoint: any HTTP answer is reachable, a refused connection fails', async () => {
    const fx = goodFixture();
    const collector = await httpServer(200, '{}');
    const ok = await runCli(['doctor', '--json'], {
      cwd: fx.dir,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`, OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%20123' },
    });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as DoctorJson).checks[3]).toEqual({ name: 'otlp', status: 'ok', detail: `${collector.url}/v1/traces answered HTTP 200` });
    expect(collector.requests).toHaveLength(1);
    expect(collector.requests[0]).toMatchObject({ method: 'POST', url: '/v1/traces', body: '{}' });
    expect(collector.requests[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'x-honeycomb-team': 'abc 123' });

    const notFound = await httpServer(404);
    const traces = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${notFound.url}/custom/path` } });
    expect(traces.code).toBe(0);
    expect((JSON.parse(traces.stdout) as DoctorJson).checks[3]).toEqual({ name: 'otlp', status: 'ok', detail: `${notFound.url}/custom/path answered HTTP 404` });

    const port = await closedPort();
    const refused = await runCli(['doctor', '--json'], { cwd: fx.dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
    expect(refused.code).toBe(1);
    expect((JSON.parse(refused.stdout) as DoctorJson).checks[3]).toEqual({
      name: 'otlp',
      status: 'fail',
      detail: `http://127.0.0.1:${port}/v1/traces: connection refused`,
    });
  });

  it('with --url, checks a running server\'s /healthz', async () => {
    const fx = goodFixture();
    const healthy = await httpServer(200, '{"ok":true,"checks":{}}');
    const ok = await runCli(['doctor', '--json', '--url', healthy.url], { cwd: fx.dir });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as DoctorJson).checks[4]).toEqual({ name: 'server', status: 'ok', detail: `${healthy.url}/healthz answered 200` });
    expect(healthy.requests.map((q) => `${q.method} ${q.url}`)).toEqual(['GET /healthz', 'GET /v1/status']);

    const sick = await httpServer(503, '{"ok":false,"checks":{"store":{"ok":false,"error":"down"}}}');
    const fail = await runCli(['doctor', '--json', '--url', sick.url], { cwd: fx.dir });
    expect(fail.code).toBe(1);
    expect((JSON.parse(fail.stdout) as DoctorJson).checks[4]).toEqual({
      name: 'server',
      status: 'fail',
      detail: `${sick.url}/healthz answered 503: {"ok":false,"checks":{"store":{"ok":false,"error":"down"}}}`,
    });

    const port = await closedPort();
    const down = await runCli(['doctor', '--json', '--url', `http://127.0.0.1:${port}`], { cwd: fx.dir });
    expect(down.code).toBe(1);
    expect((JSON.parse(down.stdout) as DoctorJson).checks[4]).toEqual({ name: 'server', status: 'fail', detail: `http://127.0.0.1:${port}/healthz: connection refused` });
  });
});
