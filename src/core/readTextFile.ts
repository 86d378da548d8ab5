import { readFileSync } from 'node:fs';
import { ConfigError } from './ConfigError.js';

/**
 * A file's text, or a ConfigError naming the file, what it was for (`what`, e.g. "config
 * file") and how to point tollgate at the right one (`fix`).
 */
export function readTextFile(path: string, what: string, fix: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err: unknown) {
    throw new ConfigError({
      source: path,
      path: '',
      expected: `cannot read the ${what} (${err instanceof Error ? err.message : String(err)})`,
      fix,
    });
  }
}
