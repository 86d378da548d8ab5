import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface PackedFile {
  path: string;
}

/** Paths in the package exports and bin, with their leading './'. */
function declaredEntryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin?: Record<string, string>;
    exports?: Record<string, string | Record<string, string>>;
  };
  const paths = Object.values(pkg.bin ?? {});
  for (const target of Object.values(pkg.exports ?? {})) {
    if (typeof target === 'string') paths.push(target);
    else paths.push(...Object.values(target));
  }
  return paths.filter((p) => p.startsWith('./dist/') || p.startsWith('./cjs/')).map((p) => p.slice(2));
}

let files: string[] = [];

beforeAll(() => {
  // `npm test` builds first; run alone, the test builds when dist is missing (type errors
  // elsewhere in the tree do not stop tsc from emitting, so the exit code is not checked).
  if (!existsSync(join(ROOT, 'dist/src/index.js'))) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  // --ignore-scripts: the prepack build already ran (or dist was there); only the file list is wanted.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const [pack] = JSON.parse(out) as { files: PackedFile[] }[];
  files = (pack?.files ?? []).map((f) => f.path);
}, 180_000);

describe('npm pack --dry-run', () => {
  it('lists the built entry point', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
  });

  it('lists every file named by package.json exports and bin', () => {
    const entryPoints = declaredEntryPoints();
    expect(entryPoints).toContain('dist/src/cli/main.js');
    expect(entryPoints.filter((p) => !files.includes(p))).toEqual([]);
  });

  it('ships the LICENSE', () => {
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the tollgate authors\n/);
  });

  it('lists no source map (they would point at sources the package does not ship)', () => {
    expect(files.filter((p) => p.endsWith('.map'))).toEqual([]);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as {
      compilerOptions?: { sourceMap?: boolean; declarationMap?: boolean };
    };
    expect(build.compilerOptions).toMatchObject({ sourceMap: false, declarationMap: false });
  });

  it('ships the demo with its simulated providers', () => {
    expect(files).toContain('dist/src/demo/runDemo.js');
    expect(files).toContain('dist/src/demo/fakes/startFakeOpenAI.js');
    expect(files).toContain('dist/src/demo/fakes/startFakeAnthropic.js');
  });

  it('ships the built page served at /', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/web/index.html', 'dist/web/app.js', 'dist/web/app.css']));
  });

  it('lists no test code', () => {
    const testCode = files.filter((p) => p.startsWith('dist/test/') || p.startsWith('test/') || /\.(?:test|spec)\./.test(p));
    expect(testCode, 'run `npm run build` (it clears dist/) and keep src/ free of test imports').toEqual([]);
  });

  it('holds under dist/ only the build of src/ and instrumentations/, and the page (dist/web/)', () => {
    // test/examples.test.ts transpiles the README examples into dist/examples while this suite
    // runs; a real pack or publish runs prepack (a clean build) first, which removes them.
    const built = ['dist/src/', 'dist/instrumentations/', 'dist/web/', 'dist/examples/'];
    const stray = files.filter((p) => p.startsWith('dist/') && !built.some((dir) => p.startsWith(dir)));
    expect(stray).toEqual([]);
  });
});

describe('require() from CommonJS', () => {
  /** Runs `node -e <code>` in a temp folder whose node_modules/tollgate is this repository. */
  function nodeIn(code: string): { status: number | null; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-require-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'tollgate'), 'dir');
    const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  }

  it.each(['tollgate', 'tollgate/openai', 'tollgate/anthropic', 'tollgate/redis'])('require(%j) throws an error naming the fix', (entry) => {
    const r = nodeIn(`require(${JSON.stringify(entry)})`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Error: tollgate is an ES module: use import ... or await import('${entry}') (Node >= 20)`);
    expect(r.stderr).not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('import() from CommonJS still loads the package', () => {
    const r = nodeIn(`import('tollgate').then((m) => { if (typeof m.createTollgate !== 'function') process.exit(3); })`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
