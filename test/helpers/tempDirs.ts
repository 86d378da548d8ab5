import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Fresh temporary directories for the tests of the file (or describe block) that calls this,
 * each removed after the test that made it. `dir()` makes one; `file(name)` makes one and
 * returns the path of `name` in it (a database file, say).
 */
export function tempDirs(prefix: string): { dir(): string; file(name: string): string } {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
  return { dir, file: (name) => join(dir(), name) };
}
