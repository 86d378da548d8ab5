import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UsageGroup } from '../../src/ledger/Ledger.js';
import { buildCli } from './buildCli.js';
import { makeCliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';
import { startCli } from './startCli.js';

interface DemoJson {
  metricsUrl: string;
  scrapedSeries: number;
  decisions: { warned: number; fallbacks: number; denied: number };
  report: {
    events: { warned: number; fallbacks: number; denied: number };
    byModel: UsageGroup[];
    budgets: { id: string; scope: string; key: string; action: string }[];
    last24h: { costUsd: number; calls: number };
  };
}

beforeAll(async () => {
  await buildCli();
});

describe('tollgate demo', () => {
  it('--fast --json: a warn, a fallback and a deny in the report, /metrics scraped during the run, well under a minute', async () => {
    const fx = makeCliFixture();
    const started = Date.now();
    const r = await runCli(['demo', '--fast', '--port', '0', '--db', fx.dbPath, '--json'], { cwd: fx.dir, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const demo = JSON.parse(r.stdout) as DemoJson;
    expect(demo.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(demo.scrapedSeries).toBeGreaterThan(0);
    expect(demo.report.events.warned).toBeGreaterThan(0);
    expect(demo.report.events.fallbacks).toBeGreaterThan(0);
    expect(demo.report.events.denied).toBeGreaterThan(0);
    expect(demo.decisions.fallbacks).toBeGreaterThan(0);
    expect(demo.decisions.denied).toBeGreaterThan(0);
    expect(demo.report.budgets.map((b) => b.action).sort()).toContain('deny');
    // Tool, memory and contract operations are counted apart from model calls, everywhere in the report.
    const { topTasks, byModel, last24h } = demo.report as unknown as {
      topTasks: { calls: number; toolCalls: number; memoryOps: number; contractChecks: number }[];
      byModel: { key: string; calls: number }[];
      last24h: { calls: number };
    };
    const modelCalls = byModel.reduce((n, g) => n + g.calls, 0);
    expect(topTasks.reduce((n, t) => n + t.calls, 0)).toBe(modelCalls);
    expect(last24h.calls).toBe(modelCalls);
    expect(byModel.map((g) => g.key)).not.toContain('unknown');
    for (const t of topTasks) {
      expect(t.toolCalls).toBeGreaterThan(0);
      expect(t.memoryOps).toBeGreaterThan(0);
    }
    expect(topTasks.some((t) => t.contractChecks > 0)).toBe(true);
    // progress went to stderr while it ran
    expect(r.stderr).toContain(`serving ${demo.metricsUrl}`);
    // the page's URL comes first
    expect(r.stderr.split('\n')[0]).toBe(`open ${demo.metricsUrl.replace(/\/metrics$/, '/')} : the page (spend, budgets, live calls, traces)`);
    expect(r.stderr).toContain('DENIED');

    // the demo's ledger is an ordinary store: the other commands read the same numbers
    const report = await runCli(['report', '--format', 'json', '--since', '0'], { cwd: fx.dir });
    expect(report.code).toBe(0);
    const cli = JSON.parse(report.stdout) as { byModel: (UsageGroup & { costUsd: number })[] };
    expect(cli.byModel).toEqual(demo.report.byModel);
    // money is a USD number in every --json output, next to the exact costNanos
    for (const g of cli.byModel) expect(g.costUsd).toBe(g.costNanos / 1e9);
    const usage = await runCli(['usage', 'show', '--json'], { cwd: fx.dir });
    const total = (JSON.parse(usage.stdout) as { total: { costNanos: number; costUsd: number } }).total;
    expect(total.costUsd).toBeCloseTo(demo.report.last24h.costUsd, 9);
    expect(total.costUsd).toBe(total.costNanos / 1e9);
  });

  it('prints the markdown spend report with the budgets and the deny', async () => {
    const fx = makeCliFixture();
    const r = await runCli(['demo', '--fast', '--port', '0', '--db', join(fx.dir, 'demo.db')], { cwd: fx.dir, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# tollgate spend report');
    expect(r.stdout).toContain('## Budgets');
    expect(r.stdout).toMatch(/^\| daily-cap \| daily \| all calls \| global \| .* \| deny \|$/m);
    expect(r.stdout).toMatch(/^\| task-cap \| task \| openai \| T-001 \| .* \| fallback \|$/m);
    expect(r.stdout).toMatch(/^\| Task \| Model calls \| Tool calls \| Memory ops \| Contract checks \| Errors \|/m);
    expect(r.stdout).toMatch(/^\| Warned \| Fallbacks \| Denied \|$/m);
    expect(r.stderr).toContain('DENIED');
  });

  it('--hold keeps /metrics answering until SIGINT, then exits 0', async () => {
    const fx = makeCliFixture();
    const cli = startCli(['demo', '--fast', '--port', '0', '--hold', '5', '--db', fx.dbPath], { cwd: fx.dir });
    try {
      const [, metricsUrl] = await cli.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 'stderr');
      await cli.waitFor(/holding .* open for 5 s/, 'stderr', 20_000);
      const url = metricsUrl ?? '';
      for (let i = 0; i < 3; i++) {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(await res.text()).toMatch(/^tokens_input_total\{.*\} \d+$/m);
      }
      const signalled = Date.now();
      cli.child.kill('SIGINT');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(4_000);
      expect(cli.stdout()).toContain('## Budgets');
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('exits 2 with one line naming the port and the fix when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    try {
      const fx = makeCliFixture();
      const r = await runCli(['demo', '--fast', '--port', String(port), '--db', join(fx.dir, 'demo.db')], { cwd: fx.dir, timeoutMs: 60_000 });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
        `tollgate: cannot listen on 127.0.0.1:${port} (EADDRINUSE: the port is in use); use --port 0 (any free port) or another --port / --host`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
  });

  it('exits 2 for a bad --port or --hold', async () => {
    const port = await runCli(['demo', '--port', 'x']);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('tollgate: --port: expected an integer 0-65535, got "x"\n');
    const hold = await runCli(['demo', '--hold', 'soon']);
    expect(hold.code).toBe(2);
    expect(hold.stderr).toBe('tollgate: --hold: expected seconds >= 0, got "soon"\n');
  });
});
