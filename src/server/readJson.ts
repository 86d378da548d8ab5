import type { IncomingMessage } from 'node:http';
import { HttpError, errorMessage } from './HttpError.js';

/** Whether a Content-Type names JSON (`application/json`, `application/merge-patch+json`, ...; any charset). */
export function isJsonContentType(value: string | undefined): boolean {
  const type = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads a request body of at most `maxBytes` as JSON. Rejects with an HttpError: 415 unless the
 * request says `Content-Type: application/json` (a form or `text/plain` post from another page
 * never reaches the routes), 413 when the body is larger (declared or sent), 400 when it is empty
 * or not JSON.
 */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    return Promise.reject(
      new HttpError(415, `the request body must be JSON with "Content-Type: application/json"; got "${req.headers['content-type'] ?? 'none'}"`),
    );
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new HttpError(413, `request body is ${declared} bytes; the limit is ${maxBytes}`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `request body is over the limit of ${maxBytes} bytes`, { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err: Error) => {
      if (!failed) reject(err);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(new HttpError(400, 'the request body is empty; send a JSON object'));
        return;
      }
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err: unknown) {
        reject(new HttpError(400, `the request body is not valid JSON: ${errorMessage(err)}`));
      }
    });
  });
}
