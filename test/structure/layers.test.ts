import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/checkLayers.mjs');

const roots: string[] = [];

/** Writes a fixture tree (path → content) into a fresh temporary directory. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function lines(count: number): string {
  return Array.from({ length: count }, (_, i) => `export const v${i} = ${i};\n`).join('');
}

/** A tree that follows every rule; each test plants one problem in a copy of it. */
const CLEAN: Record<string, string> = {
  'src/core/money.ts': 'export const NANOS_PER_USD = 1_000_000_000;\n',
  'src/pricing/cost.ts': "import { NANOS_PER_USD } from '../core/money.js';\nexport const one = NANOS_PER_USD;\n",
  'src/ledger/Ledger.ts': "import type { one } from '../pricing/cost.js';\nexport type Ledger = typeof one;\n",
  'src/metrics/Metrics.ts': "import type { Ledger } from '../ledger/Ledger.js';\nexport type M = Ledger;\n",
  'src/budget/Engine.ts': "import type { Ledger } from '../ledger/Ledger.js';\nexport type Engine = Ledger;\n",
  'src/track/track.ts': "import type { Engine } from '../budget/Engine.js';\nexport type T = Engine;\n",
  'instrumentations/shared/gate.ts': "import type { T } from '../../src/track/track.js';\nexport type G = T;\n",
  'instrumentations/openai/index.ts':
    "import type { G } from '../shared/gate.js';\nimport { NANOS_PER_USD } from '../../src/core/money.js';\nexport type O = G;\nexport const n = NANOS_PER_USD;\n",
  'src/index.ts': "export { h } from './server/handler.js';\n",
  'src/server/handler.ts': "import { one } from '../pricing/cost.js';\nexport const h = one;\n",
  'src/demo/run.ts': "import { h } from '../server/handler.js';\nimport type { O } from '../../instrumentations/openai/index.js';\nexport const r = h;\nexport type D = O;\n",
  'src/track/exactly400.ts': lines(400),
  'test/fakes/index.ts': "export const fake = 1;\n",
  'test/track/track.test.ts': "import type { T } from '../../src/track/track.js';\nexport type X = T;\n",
};

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('scripts/checkLayers.mjs', () => {
  it('passes a tree that follows the rules and prints a one-line summary', () => {
    const result = check(fixture(CLEAN));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout.trim()).toMatch(/^checkLayers: 12 files in 11 folders, 12 imports: no folder cycle, no upward import, no test import, no file over 400 lines$/);
  });

  it('fails on an import from a lower layer to a higher one, naming file, line, import and rule', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'src/core/money.ts': "import type { Engine } from '../budget/Engine.js';\nexport const NANOS_PER_USD = 1_000_000_000;\nexport type E = Engine;\n",
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "[upward import] src/core/money.ts:1 imports '../budget/Engine.js' (type only) (src/budget, layer 3) from src/core, layer 0",
    );
  });

  it('fails on a cycle between two folders of the same layer, naming every import of the cycle', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'src/ledger/Ledger.ts': "import type { M } from '../metrics/Metrics.js';\nexport type Ledger = string;\nexport type L = M;\n",
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('[cycle] cycle between folders: src/ledger → src/metrics → src/ledger');
    expect(result.stderr).toContain("src/ledger/Ledger.ts:1 imports '../metrics/Metrics.js'");
    expect(result.stderr).toContain("src/metrics/Metrics.ts:1 imports '../ledger/Ledger.js'");
    expect(result.stderr).not.toContain('[upward import]');
  });

  it('reports a planted upward import and a planted cycle together', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'src/pricing/cost.ts':
          "import { NANOS_PER_USD } from '../core/money.js';\nimport { h } from '../server/handler.js';\nexport const one = NANOS_PER_USD;\nexport const two = h;\n",
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("[upward import] src/pricing/cost.ts:2 imports '../server/handler.js' (src/server, layer 5) from src/pricing, layer 1");
    // pricing → server → pricing
    expect(result.stderr).toMatch(/\[cycle\] cycle between folders: src\/(pricing → src\/server → src\/pricing|server → src\/pricing → src\/server)/);
    expect(result.stderr).toMatch(/2 problem\(s\)/);
  });

  it('fails when source imports test code, a test file or a test framework', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'src/demo/run.ts': "import { fake } from '../../test/fakes/index.js';\nexport const r = fake;\n",
        'src/track/helper.ts': "import { expect } from 'vitest';\nexport const e = expect;\n",
        'src/track/uses.ts': "export { v1 } from './exactly400.test.js';\n",
        'src/track/exactly400.test.ts': 'export const v1 = 1;\n',
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("[test import] src/demo/run.ts:1 imports '../../test/fakes/index.js' (test/fakes/index.ts, test code)");
    expect(result.stderr).toContain("[test import] src/track/helper.ts:1 imports 'vitest'");
    expect(result.stderr).toContain("[test import] src/track/uses.ts:1 imports './exactly400.test.js' (src/track/exactly400.test.ts, test code)");
  });

  it('fails on a source file over 400 lines', () => {
    const result = check(fixture({ ...CLEAN, 'instrumentations/openai/big.ts': lines(401) }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('[file size] instrumentations/openai/big.ts has 401 lines; the limit is 400');
    expect(result.stderr).not.toContain('exactly400');
  });

  it('holds instrumentations to their own list: shared, src/track and src layers 0-1', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'instrumentations/openai/ledger.ts': "import type { Ledger } from '../../src/ledger/Ledger.js';\nexport type L = Ledger;\n",
        'instrumentations/anthropic/index.ts': "import type { O } from '../openai/index.js';\nexport type A = O;\n",
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("[instrumentation import] instrumentations/openai/ledger.ts:1 imports '../../src/ledger/Ledger.js'");
    expect(result.stderr).toContain("[instrumentation import] instrumentations/anthropic/index.ts:1 imports '../openai/index.js'");
  });

  it('sees re-exports, dynamic imports and import types, and ignores imports in comments and strings', () => {
    const result = check(
      fixture({
        ...CLEAN,
        'src/core/a.ts': "// import { x } from '../budget/Engine.js';\nexport const s = \"import '../budget/Engine.js'\";\n",
        'src/core/b.ts': "export * as engine from '../budget/Engine.js';\n",
        'src/core/c.ts': "export const load = () => import('../track/track.js');\n",
        'src/core/d.ts': "export type E = import('../budget/Engine.js').Engine;\n",
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('src/core/a.ts');
    expect(result.stderr).toContain("src/core/b.ts:1 imports '../budget/Engine.js'");
    expect(result.stderr).toContain("src/core/c.ts:1 imports '../track/track.js'");
    expect(result.stderr).toContain("src/core/d.ts:1 imports '../budget/Engine.js' (type only)");
  });

  it('fails on a folder that has no layer yet', () => {
    const result = check(fixture({ ...CLEAN, 'src/drive/drive.ts': "import type { T } from '../track/track.js';\nexport type D = T;\n" }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('[no layer] src/drive (seen at src/drive/drive.ts) has no layer: add it to LAYERS in scripts/checkLayers.mjs');
  });
});
