// The build under test: dist/ beside bench/, or the dist/ named by TOLLGATE_BENCH_DIST (another
// build, e.g. a worktree of an earlier commit), so that two builds can be measured by the same
// benchmark code, in one run (bench/ab.js) or in alternating runs.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DIST = resolve(process.env.TOLLGATE_BENCH_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist'));

/** Imports a module of the build under test by its path inside dist/ (e.g. 'src/createTollgate.js'). */
export function fromDist(path) {
  return import(pathToFileURL(join(DIST, path)).href);
}

/** Imports the first of `paths` that the build has (a module that moved between builds). */
export function fromDistFirst(...paths) {
  const found = paths.find((p) => existsSync(join(DIST, p)));
  if (found === undefined) throw new Error(`none of ${paths.join(', ')} in ${DIST}`);
  return fromDist(found);
}
