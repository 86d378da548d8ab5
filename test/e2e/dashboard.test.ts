/**
 * End to end: the demo serves /metrics, a real Prometheus (Debian package) scrapes it every
 * second with the kit's alert rules loaded, and every PromQL expression of the Grafana
 * dashboard is sent to Prometheus's query API and must return data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT, dashboardQueries, readDashboard, substituteVariables, variableQueries } from '../deploy/dashboard.js';
import { missingToolReason } from '../deploy/promtool.js';
import { freePort } from '../helpers/freePort.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Sample[] };
}

interface Started {
  child: ChildProcess;
  /** What the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  exited: Promise<number | null>;
}

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
/** Upper bound for the demo's workload plus the scrapes that make rate() answer. */
const DATA_DEADLINE_MS = 20_000;
/** How long the rate-based panels get to show numbers once every expression has data. */
const RATE_DEADLINE_MS = 15_000;
const POLL_MS = 250;

const dashboard = readDashboard();
const queries = dashboardQueries(dashboard)
  .map((q) => ({ ...q, promql: substituteVariables(q.expr, dashboard) }));
const skipReason = missingToolReason('prometheus');


function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err: Error) => {
      append(Buffer.from(`spawn failed: ${err.message}\n`));
      resolve(null);
    });
  });
  return { child, output: () => output, exited };
}

/** SIGTERM by PID, SIGKILL if it has not exited after 5 s. */
async function stop(p: Started | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.pid === undefined) return;
  const pid = p.child.pid;
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (p.child.exitCode === null) process.kill(pid, 'SIGKILL');
  }, 5_000);
  await p.exited;
  clearTimeout(timer);
}

const isNumber = (sample: Sample): boolean => Number.isFinite(Number(sample.value[1]));

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value, at most `timeoutMs`. Fails early when one of the
 * watched processes has exited, with its output.
 */
async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  watched: Started[],
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    for (const p of watched) {
      if (p.child.exitCode !== null) {
        throw new Error(`${what}: ${p.child.spawnfile} exited with ${String(p.child.exitCode)}:\n${p.output()}`);
      }
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err: unknown) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms${lastError === '' ? '' : ` (last error: ${lastError})`}`);
    }
    await delay(POLL_MS);
  }
}

describe.skipIf(skipReason !== undefined)(`dashboard against a real Prometheus scraping the demo${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let prometheusUrl = '';
  let demo: Started | undefined;
  let prometheus: Started | undefined;

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as QueryResponse;
    if (body.status !== 'success' || body.data === undefined) {
      throw new Error(`Prometheus rejected ${promql}: ${body.error ?? res.statusText}`);
    }
    return body.data.result;
  }

  /** The dashboard expressions whose samples fail `shows` right now, named for messages. */
  async function queriesNotShowing(shows: (samples: Sample[]) => boolean): Promise<string[]> {
    const results = await Promise.all(queries.map(async (q) => ({ q, samples: await query(q.promql) })));
    return results.filter((r) => !shows(r.samples)).map((r) => `${r.q.panelTitle} (${r.q.refId}): ${r.q.promql}`);
  }

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is built (npm run test:e2e builds first)`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-dashboard-'));
    const [demoPort, prometheusPort] = [await freePort(), await freePort()];
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [join(REPO_ROOT, 'prometheus/alerts.yml')],
        scrape_configs: [{ job_name: 'tollgate', static_configs: [{ targets: [`127.0.0.1:${demoPort}`] }] }],
      }),
    );
    prometheus = start('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
    ]);
    const prom = prometheus;
    await poll('Prometheus ready', async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined), [prom], 30_000);

    // Prometheus first, so it scrapes the demo from its first second on.
    demo = start(
      process.execPath,
      [CLI, 'demo', '--fast', '--host', '127.0.0.1', '--port', String(demoPort), '--hold', '60', '--db', join(dir, 'ledger.db')],
      // Without an OTLP endpoint the demo exports nothing: traces are not under test here.
      envWithout('OTEL_EXPORTER_OTLP_ENDPOINT'),
    );
    const watched = [prom, demo];

    await poll(
      'Prometheus scraping the demo',
      async () => ((await query('up{job="tollgate"} == 1')).length > 0 ? true : undefined),
      watched,
      30_000,
    );
    // The workload has run and been scraped when every expression returns data. If that never
    // happens, the per-expression tests below name what stayed empty.
    await poll(
      'every dashboard expression returning data',
      async () => ((await queriesNotShowing((x) => x.length > 0)).length === 0 ? true : undefined),
      watched,
      DATA_DEADLINE_MS,
    ).catch((err: unknown) => {
      if (watched.some((p) => p.child.exitCode !== null)) throw err;
    });
  });

  afterAll(async () => {
    await Promise.all([stop(demo), stop(prometheus)]);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('finds the dashboard expressions to send', () => {
    expect(queries.length).toBeGreaterThan(20);
  });

  it.each(queries.map((q) => [`${q.panelTitle} (${q.refId})`, q] as const))('%s returns data', async (_title, q) => {
    const samples = await query(q.promql);
    expect(samples.length, `${q.promql}\ndemo output:\n${demo?.output() ?? ''}`).toBeGreaterThan(0);
  });

  // Rates need calls between two scrapes: a ratio or histogram_quantile over rates that are
  // all 0 is NaN, which Grafana draws as an empty panel. The demo keeps calling while it
  // serves, so within a few scrapes every expression has at least one number.
  it('every expression shows a number, not only NaN, while the demo keeps calling', async () => {
    let blank: string[] = [];
    await poll(
      'every dashboard expression showing a number',
      async () => {
        blank = await queriesNotShowing((x) => x.some(isNumber));
        return blank.length === 0 ? true : undefined;
      },
      [],
      RATE_DEADLINE_MS,
    ).catch(() => undefined);
    expect(blank, 'expressions with only NaN/Inf (no calls between scrapes)').toEqual([]);
  });

  it('the dashboard variables (label_values) list at least one value', async () => {
    for (const v of variableQueries(dashboard)) {
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(substituteVariables(v.query, dashboard));
      expect(m, v.query).not.toBeNull();
      const [, selector = '', label = ''] = m ?? [];
      const res = await fetch(`${prometheusUrl}/api/v1/label/${label}/values?match[]=${encodeURIComponent(selector)}`);
      const body = (await res.json()) as { status: string; data: string[] };
      expect(body.data.length, v.query).toBeGreaterThan(0);
    }
  });

  it('the demo spent money and used tokens', async () => {
    const [total] = await query('sum(cost_total_usd)');
    const [tokens] = await query('sum(tokens_input_total)');
    expect(Number(total?.value[1])).toBeGreaterThan(0);
    expect(Number(tokens?.value[1])).toBeGreaterThan(0);
  });

  it('the TollgateBudgetExceeded alert fires on the demo\'s refused call, critical for deny and warning for fallback and warn', async () => {
    const exceeded = await query('sum(budget_exceeded_total) > 0');
    expect(exceeded.length, 'the demo exceeds a budget at least once').toBeGreaterThan(0);
    const firing = await poll(
      'TollgateBudgetExceeded firing for a deny',
      async () => {
        const alerts = await query('ALERTS{alertname="TollgateBudgetExceeded",alertstate="firing"}');
        return alerts.some((a) => a.metric.action === 'deny') ? alerts : undefined;
      },
      [],
      10_000,
    );
    for (const alert of firing) {
      expect(alert.metric.severity, alert.metric.action).toBe(alert.metric.action === 'deny' ? 'critical' : 'warning');
    }
    expect(firing.map((a) => a.metric.action)).toEqual(expect.arrayContaining(['deny', 'fallback']));
  });
});
