// Structure rules of tollgate, checked in `npm test` (`npm run check:layers`):
//   (a) no import cycle between folders;
//   (b) no import from a lower layer to a higher one (instrumentations have their own, narrower list);
//   (c) no file of src/ or instrumentations/ imports test code;
//   (d) no source file is over 400 lines.
// Usage: node scripts/checkLayers.mjs [--root <dir>]   (default root: the repository this script sits in)
// Exit 0 with a one-line summary, or 1 with one line per problem naming the file, the import and the rule.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Layers, bottom first: a folder may import its own layer or lower ones only. */
export const LAYERS = [
  ['src/core', 'src/semconv', 'src/time'],
  ['src/pricing', 'src/tokens', 'src/events'],
  ['src/ledger', 'src/metrics', 'src/traces', 'src/alerts', 'src/ratelimit'],
  ['src/budget'],
  ['src/track', 'src/processor', 'src/otel', 'src/sinks'],
  ['instrumentations/*', 'src/config', 'src/server', 'src/report'],
  ['src/setup', 'src/(root files)'],
  ['src/cli', 'src/demo'],
  // The web page (built by scripts/buildWeb.mjs into dist/web/): it talks to the server over HTTP only.
  ['web'],
];

/** Besides their own folder, instrumentations may import only these (and src layers 0-1). */
const INSTRUMENTATION_EXTRA = ['instrumentations/shared', 'src/track'];
const INSTRUMENTATION_MAX_SRC_LAYER = 1;
const MAX_LINES = 400;
const SCANNED = ['src', 'instrumentations', 'web'];
const SOURCE_FILE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const TEST_FILE = /\.(?:test|spec)\.[^/]+$/;
/** Packages that are test code wherever they are imported from. */
const TEST_PACKAGES = ['vitest', '@vitest/'];

/** The layered folder ("unit") a repository-relative path belongs to, or undefined outside src/ and instrumentations/. */
export function unitOf(path) {
  const parts = path.split('/');
  if (parts[0] === 'web') return 'web';
  if (parts[0] !== 'src' && parts[0] !== 'instrumentations') return undefined;
  if (parts.length === 2) return `${parts[0]}/(root files)`;
  return `${parts[0]}/${parts[1]}`;
}

function isInstrumentation(unit) {
  return unit.startsWith('instrumentations/');
}

/** The layer number of a unit, or undefined for a folder that has none yet. */
export function layerOf(unit) {
  if (isInstrumentation(unit)) return LAYERS.findIndex((layer) => layer.includes('instrumentations/*'));
  const i = LAYERS.findIndex((layer) => layer.includes(unit));
  return i < 0 ? undefined : i;
}

function listSources(root) {
  const files = [];
  for (const top of SCANNED) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !SOURCE_FILE.test(entry.name) || /\.d\.[cm]?ts$/.test(entry.name)) continue;
      const abs = join(entry.parentPath, entry.name);
      if (abs.split(sep).includes('node_modules')) continue;
      files.push(toPosix(relative(root, abs)));
    }
  }
  return files.sort();
}

function toPosix(path) {
  return path.split(sep).join('/');
}

/** Every module specifier a file names: imports, re-exports, dynamic import(), import types, import = require(). */
function importsOf(text, fileName) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const add = (literal, typeOnly) => {
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    found.push({ specifier: literal.text, line, typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) add(expr, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) add(arg, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const EXTENSION_SWAPS = [
  [/\.js$/, ['.ts', '.tsx', '.js']],
  [/\.mjs$/, ['.mts', '.mjs']],
  [/\.cjs$/, ['.cts', '.cjs']],
  [/\.jsx$/, ['.tsx', '.jsx']],
];

/** The repository-relative path a relative specifier points at (the .ts source for a .js specifier when it exists). */
function resolveRelative(root, fromFile, specifier) {
  const base = resolve(root, dirname(fromFile), specifier);
  const candidates = [base];
  for (const [pattern, extensions] of EXTENSION_SWAPS) {
    if (pattern.test(base)) for (const ext of extensions) candidates.unshift(base.replace(pattern, ext));
  }
  candidates.push(`${base}.ts`, join(base, 'index.ts'), join(base, 'index.js'));
  const hit = candidates.find((c) => existsSync(c) && !c.endsWith(sep)) ?? base;
  return toPosix(relative(root, hit));
}

function countLines(text) {
  if (text.length === 0) return 0;
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return text.endsWith('\n') ? lines : lines + 1;
}

function isTestPath(path) {
  return path === 'test' || path.startsWith('test/') || TEST_FILE.test(path) || path.split('/').includes('__tests__');
}

function describeUnit(unit) {
  const layer = layerOf(unit);
  return `${unit}, layer ${layer}`;
}

/**
 * Checks the tree under `root`. Returns the problems found (each one line, or a line and its
 * evidence) and counts for the summary.
 */
export function checkLayers(root) {
  const files = listSources(root);
  /** @type {{ rule: string, file: string, text: string }[]} */
  const problems = [];
  /** unit → unit → first import seen that makes the edge. */
  const edges = new Map();
  const unknownUnits = new Map();
  let importCount = 0;

  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const lines = countLines(text);
    if (lines > MAX_LINES) {
      problems.push({
        rule: 'file size',
        file,
        text: `${file} has ${lines} lines; the limit is ${MAX_LINES}: split it into files that hold one concept each`,
      });
    }
    const from = unitOf(file);
    const fromLayer = layerOf(from);
    if (fromLayer === undefined && !unknownUnits.has(from)) unknownUnits.set(from, file);

    for (const { specifier, line, typeOnly } of importsOf(text, file)) {
      importCount++;
      const where = `${file}:${line} imports '${specifier}'${typeOnly ? ' (type only)' : ''}`;
      if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
        if (TEST_PACKAGES.some((p) => specifier === p || (p.endsWith('/') ? specifier.startsWith(p) : specifier.startsWith(`${p}/`)))) {
          problems.push({ rule: 'test import', file, text: `${where}, a test framework; source files must not import test code` });
        }
        continue;
      }
      const target = resolveRelative(root, file, specifier);
      if (isTestPath(target)) {
        problems.push({
          rule: 'test import',
          file,
          text: `${where} (${target}, test code); files of src/ and instrumentations/ must not import test code: move what they need into src/`,
        });
        continue;
      }
      const to = unitOf(target);
      if (to === undefined || to === from) continue;
      let out = edges.get(from);
      if (out === undefined) edges.set(from, (out = new Map()));
      if (!out.has(to)) out.set(to, where);

      const toLayer = layerOf(to);
      if (toLayer === undefined) {
        if (!unknownUnits.has(to)) unknownUnits.set(to, target);
        continue;
      }
      if (fromLayer === undefined) continue;
      if (isInstrumentation(from)) {
        const allowed = INSTRUMENTATION_EXTRA.includes(to) || (!isInstrumentation(to) && to.startsWith('src/') && toLayer <= INSTRUMENTATION_MAX_SRC_LAYER);
        if (!allowed) {
          problems.push({
            rule: 'instrumentation import',
            file,
            text:
              `${where} (${describeUnit(to)}); an instrumentation may import its own folder, ${INSTRUMENTATION_EXTRA.join(', ')} ` +
              `and src layers 0-${INSTRUMENTATION_MAX_SRC_LAYER} (${LAYERS.slice(0, INSTRUMENTATION_MAX_SRC_LAYER + 1).flat().join(', ')}) only`,
          });
        }
      } else if (toLayer > fromLayer) {
        problems.push({
          rule: 'upward import',
          file,
          text: `${where} (${describeUnit(to)}) from ${describeUnit(from)}; a folder may import its own layer or lower ones only`,
        });
      }
    }
  }

  for (const [unit, file] of unknownUnits) {
    problems.push({
      rule: 'no layer',
      file,
      text: `${unit} (seen at ${file}) has no layer: add it to LAYERS in scripts/checkLayers.mjs`,
    });
  }
  for (const cycle of findCycles(edges)) {
    const evidence = cycle.slice(0, -1).map((unit, i) => `      ${edges.get(unit)?.get(cycle[i + 1] ?? '')}`);
    problems.push({
      rule: 'cycle',
      file: cycle[0] ?? '',
      text: `cycle between folders: ${cycle.join(' → ')}\n${evidence.join('\n')}`,
    });
  }
  const units = new Set(files.map(unitOf));
  return { problems, fileCount: files.length, unitCount: units.size, importCount };
}

/** One shortest cycle per strongly connected group of folders (Tarjan), each as a path that returns to its start. */
function findCycles(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  let counter = 0;
  const nodes = new Set(edges.keys());
  for (const out of edges.values()) for (const to of out.keys()) nodes.add(to);
  const strongConnect = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) strongConnect(v);

  return groups.map((group) => {
    const members = new Set(group);
    const start = [...group].sort()[0];
    // Breadth-first from start, inside the group, back to start.
    const previous = new Map();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift();
      for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = previous.get(u)) path.unshift(u);
          path.unshift(start);
          return path;
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start, start];
  }).sort((a, b) => a.join().localeCompare(b.join()));
}

function main(argv) {
  const rootArg = argv.indexOf('--root');
  const root = rootArg >= 0 && argv[rootArg + 1] !== undefined ? resolve(argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, fileCount, unitCount, importCount } = checkLayers(root);
  if (problems.length === 0) {
    console.log(
      `checkLayers: ${fileCount} files in ${unitCount} folders, ${importCount} imports: no folder cycle, no upward import, no test import, no file over ${MAX_LINES} lines`,
    );
    return 0;
  }
  const order = ['cycle', 'upward import', 'instrumentation import', 'no layer', 'test import', 'file size'];
  problems.sort((a, b) => order.indexOf(a.rule) - order.indexOf(b.rule) || a.file.localeCompare(b.file));
  const lines = problems.map((p) => `  [${p.rule}] ${p.text}`);
  console.error(`checkLayers: ${problems.length} problem(s) in ${root}\n${lines.join('\n')}`);
  console.error('Layers, bottom first (a folder may import its own layer or lower ones only):');
  LAYERS.forEach((layer, i) => console.error(`  ${i}: ${layer.join(', ')}`));
  return 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
