import type { IncomingMessage } from 'node:http';
import { sendsBearer, tokenDigest } from './bearerToken.js';
import { HttpError } from './HttpError.js';

/**
 * The check of the budget-changing routes: it throws a 403 HttpError when no admin token is
 * configured (undefined or ''), and a 401 one (with `www-authenticate: Bearer`) unless the
 * request sends `Authorization: Bearer <token>`. Tokens are compared as SHA-256 digests in
 * constant time.
 */
export function adminGuard(adminToken: string | undefined): (req: IncomingMessage) => void {
  const digest = tokenDigest(adminToken);
  return (req) => {
    if (digest === undefined) {
      throw new HttpError(
        403,
        'budget changes over HTTP are disabled: set TOLLGATE_ADMIN_TOKEN (or the adminToken option) to enable them',
      );
    }
    if (!sendsBearer(req, [digest])) {
      throw new HttpError(401, 'missing or wrong admin token: send "Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>"', {
        'www-authenticate': 'Bearer',
      });
    }
  };
}
