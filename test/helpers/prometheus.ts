import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/** One sample of an instant vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** A running `prometheus` process on a loopback port, with its own config and storage. */
export interface PrometheusInstance {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly pid: number;
  /** Instant query at "now" through /api/v1/query. */
  query(expr: string): Promise<PromSample[]>;
  /**
   * Polls `query(expr)` every `intervalMs` (default 200) until `done(samples)` holds,
   * for at most `timeoutMs` (default 15000); rejects with the last samples otherwise.
   */
  waitFor(expr: string, done: (samples: PromSample[]) => boolean, options?: { timeoutMs?: number; intervalMs?: number }): Promise<PromSample[]>;
  /** /api/v1/targets active targets: scrape URL, health and last error. */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  /** SIGTERM by PID (SIGKILL after 10 s), then remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port targets to scrape at /metrics. */
  targets: string[];
  /** Default 1. */
  scrapeIntervalSeconds?: number;
  /** How long to wait for /-/ready. Default 30000. */
  startTimeoutMs?: number;
}

/** true when the `prometheus` binary is on PATH. */
export function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}


function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Start prometheus; retries on a port taken between choosing it and binding it. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (err: unknown) {
      lastError = err;
      if (!(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    }
  }
  throw lastError;
}

async function startOnce(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  const interval = options.scrapeIntervalSeconds ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(
    configPath,
    [
      'global:',
      `  scrape_interval: ${interval}s`,
      `  scrape_timeout: ${interval}s`,
      `  evaluation_interval: ${interval}s`,
      'scrape_configs:',
      '  - job_name: tollgate',
      `    scrape_interval: ${interval}s`,
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('prometheus did not start (no pid)');
  }

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (!hasExited) {
        process.kill(pid, 'SIGTERM');
        const killTimer = setTimeout(() => {
          if (!hasExited) process.kill(pid, 'SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(killTimer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited) {
      await stop();
      throw new Error(`prometheus exited during start-up: ${output}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${options.startTimeoutMs ?? 30_000} ms: ${output}`);
    }
    await delay(100);
  }

  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || body.data === undefined) throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`query ${expr} returned a ${body.data.resultType}, not a vector`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    pid,
    query,
    async waitFor(expr, done, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 15_000;
      const until = Date.now() + timeoutMs;
      let last: PromSample[] = [];
      for (;;) {
        last = await query(expr);
        if (done(last)) return last;
        if (Date.now() > until) {
          throw new Error(`prometheus: "${expr}" did not reach the expected value within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
        }
        await delay(waitOptions.intervalMs ?? 200);
      }
    },
    async targets() {
      const res = await fetch(`${url}/api/v1/targets?state=active`);
      const body = (await res.json()) as { data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] } };
      return body.data.activeTargets.map((t) => ({ scrapeUrl: t.scrapeUrl, health: t.health, lastError: t.lastError }));
    },
    stop,
  };
}
