import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The SHA-256 digest of a token, or undefined for no token (undefined or ''). */
export function tokenDigest(token: string | undefined): Buffer | undefined {
  return token !== undefined && token !== '' ? createHash('sha256').update(token, 'utf8').digest() : undefined;
}

/**
 * Whether the request sends `Authorization: Bearer <token>` for one of `digests`. Compared as
 * SHA-256 digests in constant time.
 */
export function sendsBearer(req: IncomingMessage, digests: readonly Buffer[]): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (match === null) return false;
  const given = createHash('sha256').update(match[1]?.trim() ?? '', 'utf8').digest();
  let ok = false;
  for (const digest of digests) if (timingSafeEqual(given, digest)) ok = true;
  return ok;
}
