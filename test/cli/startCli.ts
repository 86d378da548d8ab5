/** Starts the built CLI as a long-running child process (serve, demo --hold) that a test signals. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from './runCli.js';
import type { RunCliOptions } from './runCli.js';

export interface StartedCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in the stream's output so far or to come; rejects if the process exits first or after `timeoutMs` (default 15000). */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Exit code and signal, once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node dist/src/cli/main.js ...args` (same environment rules as runCli). The caller must end it. */
export function startCli(args: readonly string[], options: Omit<RunCliOptions, 'timeoutMs'> = {}): StartedCli {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TOLLGATE_') && !k.startsWith('OTEL_')) env[k] = v;
  }
  Object.assign(env, { NO_COLOR: '1', FORCE_COLOR: '0' }, options.env);
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'tollgate-cli-')),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let ended = false;
  void exited.then(() => (ended = true));

  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(pattern, stream = 'stdout', timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const source = stream === 'stdout' ? child.stdout : child.stderr;
        const check = (): boolean => {
          const m = out[stream].match(pattern);
          if (m === null) return false;
          cleanup();
          resolve(m);
          return true;
        };
        const onData = (): void => void check();
        const onExit = (): void => {
          if (check()) return;
          cleanup();
          reject(new Error(`process exited before ${String(pattern)} appeared on ${stream}.\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${String(pattern)} did not appear on ${stream} within ${timeoutMs} ms.\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          source?.off('data', onData);
          child.off('close', onExit);
        };
        // 'data' listeners added here run after the collector above, so `out` is current.
        source?.on('data', onData);
        child.once('close', onExit);
        if (check()) return;
        if (ended) onExit();
      });
    },
  };
}
