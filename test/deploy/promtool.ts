import { spawnSync } from 'node:child_process';

export interface ToolRun {
  status: number | null;
  output: string;
}

/** Runs a command synchronously and returns its exit status and combined output. */
export function runTool(command: string, args: readonly string[], cwd?: string): ToolRun {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined) return { status: null, output: r.error.message };
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** True when `command --version` runs (promtool, prometheus). */
export function toolAvailable(command: string): boolean {
  return runTool(command, ['--version']).status === 0;
}

/**
 * Why a test that needs `command` cannot run, or undefined when it can. Under CI
 * (CI=true) a missing tool is a failure, not a skip: .ci/run installs it.
 */
export function missingToolReason(command: string): string | undefined {
  if (toolAvailable(command)) return undefined;
  const reason = `${command} is not installed (Debian: apt-get install -y prometheus)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must have it`);
  return reason;
}
