import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './buildCli.js';
import { standardFixture } from './cliFixture.js';
import type { CliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';
import { startCli } from './startCli.js';

let fx: CliFixture;

beforeAll(async () => {
  await buildCli();
  fx = await standardFixture(Date.now() - 3 * 3_600_000);
});

describe('tollgate serve', () => {
  it('serves /healthz, /metrics and the API over the configured store until SIGTERM, then exits 0', async () => {
    const cli = startCli(['serve', '--port', '0', '--json'], { cwd: fx.dir });
    try {
      const [line] = await cli.waitFor(/^\{.*\}\n/);
      const started = JSON.parse(line) as { url: string; port: number; store: string };
      expect(started).toEqual({ url: `http://127.0.0.1:${started.port}`, page: `http://127.0.0.1:${started.port}/`, port: started.port, store: `sqlite:${fx.dbPath}` });
      expect(started.port).toBeGreaterThan(0);

      const health = await fetch(`${started.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, checks: { pricing: { ok: true }, store: { ok: true } } });

      const metrics = await fetch(`${started.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = (await metrics.text()).split('\n');
      expect(lines).toContain('budget_remaining_usd{budget="all-time",scope="total",key="global"} 0.98535');
      // the store's spend, all of it (the 40-day-old record included), per model and in total
      expect(lines).toContain('cost_total_usd 0.01465');
      expect(lines.filter((l) => l.startsWith('cost_total_per_model_usd{')).sort()).toEqual([
        'cost_total_per_model_usd{provider="anthropic",model="claude-sonnet-4"} 0.009',
        'cost_total_per_model_usd{provider="openai",model="gpt-4o"} 0.0055',
        'cost_total_per_model_usd{provider="openai",model="gpt-4o-mini"} 0.00015',
      ]);
      expect(lines).toContain('tokens_input_total{provider="openai",model="gpt-4o"} 1100');

      const usage = await fetch(`${started.url}/v1/usage?by=task&since=0`);
      expect(usage.status).toBe(200);
      expect(((await usage.json()) as { groups: { key: string; costNanos: number }[] }).groups.map((g) => [g.key, g.costNanos])).toEqual([
        ['T-1', 13_500_000],
        ['T-old', 1_000_000],
        ['T-2', 150_000],
      ]);

      const doctor = await runCli(['doctor', '--json', '--url', started.url], { cwd: fx.dir });
      expect(doctor.code).toBe(0);
      const checks = (JSON.parse(doctor.stdout) as { checks: unknown[] }).checks;
      expect(checks.at(-2)).toEqual({ name: 'server', status: 'ok', detail: `${started.url}/healthz answered 200` });
      expect(checks.at(-1)).toEqual({ name: 'unpriced', status: 'ok', detail: 'every call so far was priced from price data' });

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.stderr()).toBe('tollgate: SIGTERM, shutting down\n');
      await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('prints the URL for people, the page first, and stops on SIGINT (Ctrl-C)', async () => {
    const cli = startCli(['serve', '--port', '0'], { cwd: fx.dir });
    try {
      const [, page] = await cli.waitFor(/^open (http:\/\/127\.0\.0\.1:\d+\/) : the page/);
      expect((await fetch(page ?? '')).headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const [, url] = await cli.waitFor(/\ntollgate serving (http:\/\/127\.0\.0\.1:\d+) \(\/metrics, \/healthz, \/v1\/usage, \/v1\/budgets, \/v1\/traces, \/v1\/status, \/v1\/events\)\n/);
      await cli.waitFor(/store sqlite:.*; Ctrl-C stops\n/);
      expect((await fetch(`${url ?? ''}/healthz`)).status).toBe(200);
      cli.child.kill('SIGINT');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('exits 2 with one line naming the port and the fix when the port is taken, and for a bad --port', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    try {
      const r = await runCli(['serve', '--port', String(port)], { cwd: fx.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`tollgate: cannot listen on 127.0.0.1:${port} (EADDRINUSE: the port is in use); use --port 0 (any free port) or another --port / --host\n`);
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
    const bad = await runCli(['serve', '--port', 'http'], { cwd: fx.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('tollgate: --port: expected an integer 0-65535, got "http"\n');
  });
});
