import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The check of the budget-changing routes: it throws a 403 HttpError when no admin token is
 * configured (undefined or ''), and a 401 one (with `www-authenticate: Bearer`) unless the
 * request sends `Authorization: Bearer <token>`. Tokens are compared as SHA-256 digests in
 * constant time.
 */
export function adminGuard(adminToken: string | undefined): (req: IncomingMessage) => void {
  const tokenDigest = adminToken !== undefined && adminToken !== '' ? sha256(adminToken) : undefined;
  return (req) => {
    if (tokenDigest === undefined) {
      throw new HttpError(
        403,
        'budget changes over HTTP are disabled: set TOLLGATE_ADMIN_TOKEN (or the adminToken option) to enable them',
      );
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = sha256(match?.[1]?.trim() ?? '');
    if (match === null || !timingSafeEqual(given, tokenDigest)) {
      throw new HttpError(401, 'missing or wrong admin token: send "Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>"', {
        'www-authenticate': 'Bearer',
      });
    }
  };
}
