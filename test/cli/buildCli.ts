/** Builds the CLI (`npx tsc -p tsconfig.build.json`) unless dist is already newer than its sources. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PATH } from './runCli.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_DIR = join(REPO_ROOT, 'dist');
/** What dist/src/cli/main.js can load (the demo imports the fake providers from test/fakes). */
const SOURCE_DIRS = ['src', 'instrumentations'];

/** true when every source .ts file has an emitted .js at least as new. */
function distIsFresh(): boolean {
  for (const dir of SOURCE_DIRS) {
    for (const e of readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.d.ts') || e.name.endsWith('.test.ts')) continue;
      const source = join(e.parentPath, e.name);
      const emitted = join(DIST_DIR, source.slice(REPO_ROOT.length + 1).replace(/\.ts$/, '.js'));
      if (!existsSync(emitted) || statSync(emitted).mtimeMs < statSync(source).mtimeMs) return false;
    }
  }
  return true;
}

/**
 * Makes sure dist/src/cli/main.js is built from the current sources. Type errors in
 * other parts of the tree do not stop tsc from emitting, so only a missing CLI fails.
 */
export async function buildCli(): Promise<void> {
  if (distIsFresh()) return;
  const output = await new Promise<string>((done) => {
    execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (_err, stdout, stderr) =>
      done(`${stdout}${stderr}`),
    );
  });
  if (!existsSync(CLI_PATH)) throw new Error(`the build did not produce ${CLI_PATH}:\n${output}`);
}
