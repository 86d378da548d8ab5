/** Build the package once and run the .mjs fixtures beside this file as child processes. */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const DIST_DIR = join(REPO_ROOT, 'dist');

/** The source folders the fixtures' imports of dist/ depend on (the fleet worker loads createTollgate and the OpenAI instrumentation). */
const SOURCE_DIRS = ['src', 'instrumentations'];

/** true when every .ts file of SOURCE_DIRS has an emitted .js that is at least as new. */
function distIsFresh(): boolean {
  for (const dir of SOURCE_DIRS) {
    const entries = readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) continue;
      const source = join(e.parentPath, e.name);
      const emitted = join(DIST_DIR, source.slice(REPO_ROOT.length + 1).replace(/\.ts$/, '.js'));
      if (!existsSync(emitted) || statSync(emitted).mtimeMs < statSync(source).mtimeMs) return false;
    }
  }
  return true;
}

/**
 * `npx tsc -p tsconfig.build.json`, unless dist is already newer than the sources the
 * fixtures use (as after `npm test`'s build). Type errors elsewhere in the tree do not
 * stop the emit, so only a missing or stale dist/src/ledger/redis.js fails.
 */
export async function buildDist(): Promise<void> {
  if (distIsFresh()) return;
  const started = Date.now();
  const output = await new Promise<string>((done) => {
    execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (_err, stdout, stderr) =>
      done(`${stdout}${stderr}`),
    );
  });
  const built = join(DIST_DIR, 'src/ledger/redis.js');
  if (!existsSync(built) || statSync(built).mtimeMs < started - 1_000) {
    throw new Error(`tsc did not emit ${built}:\n${output.slice(0, 4_000)}`);
  }
}

export interface Fixture {
  readonly child: ChildProcessWithoutNullStreams;
  /** The next line the fixture prints on stdout. */
  nextLine(): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | string>;
}

export function startFixture(script: string, args: readonly (string | number)[]): Fixture {
  const child = spawn(process.execPath, [join(here, script), DIST_DIR, ...args.map(String)], { cwd: REPO_ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  const lines: Interface = createInterface({ input: child.stdout });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  return {
    child,
    exited,
    nextLine: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise<string>((done, fail) => {
        waiting.push(done);
        void exited.then((code) => fail(new Error(`${script} exited (${code}) before printing a line:\n${stderr}`)));
      });
    },
  };
}
