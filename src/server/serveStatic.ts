import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from './HttpError.js';
import { PAGE_HEADERS } from './pageHeaders.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Where `npm run build` puts the page: `dist/web/`, two folders up from the built
 * `dist/src/server/serveStatic.js`; run from source (`src/server/serveStatic.ts`, in tests), the
 * checkout's `dist/web/` (`web/` there holds the sources, which have no app.js).
 */
export function defaultWebRoot(): string {
  const beside = fileURLToPath(new URL('../../web/', import.meta.url));
  return existsSync(join(beside, 'app.js')) ? beside : fileURLToPath(new URL('../../dist/web/', import.meta.url));
}

/**
 * Serves one file of the built page from `root`: `/` is `index.html`, anything else must be a
 * plain file name under `root` with a known extension (no `..`, no dot files). Answers with the
 * page's security headers (PAGE_HEADERS); 404 when the file is missing, with a hint to build the
 * page when `index.html` is.
 */
export async function serveStatic(res: ServerResponse, root: string, path: string, headOnly: boolean): Promise<void> {
  const name = path === '/' ? 'index.html' : path.slice(1);
  const type = CONTENT_TYPES[extname(name)];
  const safe = normalize(name);
  if (type === undefined || safe.startsWith('..') || safe.split(sep).some((part) => part.startsWith('.'))) {
    throw new HttpError(404, `no route ${path}`);
  }
  let body: Buffer;
  try {
    body = await readFile(join(root, safe));
  } catch {
    if (name === 'index.html') throw new HttpError(404, `the web page is not built (no ${join(root, 'index.html')}): run npm run build`);
    throw new HttpError(404, `no route ${path}`);
  }
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-type': type,
    'content-length': String(body.length),
    'cache-control': 'no-cache',
  });
  res.end(headOnly ? undefined : body);
}
