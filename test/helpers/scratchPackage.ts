import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A package installed in a scratch folder (`dir/node_modules/name`, e.g. ai 7 in CI's Node 24
 * leg), loaded as an ES module, with its version.
 */
export async function loadScratchPackage<T>(dir: string, name: string): Promise<{ mod: T; version: string }> {
  const require = createRequire(join(dir, 'package.json'));
  const version = (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const entry = pathToFileURL(require.resolve(name)).href;
  return { mod: (await import(entry)) as T, version };
}
