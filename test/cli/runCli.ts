import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (`npm test` builds first; locally: `npx tsc -p tsconfig.build.json`). */
export const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Working directory. Default: a new empty temp folder (so no tollgate.toml is picked up). */
  cwd?: string;
  /** Extra environment; TOLLGATE_* variables of the test process are not passed on. */
  env?: Record<string, string>;
  /** Kill the process after this long. Default 15000 ms. */
  timeoutMs?: number;
}

/** Runs `node dist/src/cli/main.js ...args` and collects its exit code and output. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TOLLGATE_') && !k.startsWith('OTEL_')) env[k] = v;
  }
  Object.assign(env, { NO_COLOR: '1', FORCE_COLOR: '0' }, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'tollgate-cli-')),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 15_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
