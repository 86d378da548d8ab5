import type { IncomingMessage } from 'node:http';
import { sendsBearer, tokenDigest } from './bearerToken.js';
import { HttpError } from './HttpError.js';

/** Options of `readGuard`. */
export interface ReadGuardOptions {
  /** The read token. Default none. */
  readToken?: string | undefined;
  /** The admin token, accepted for reading too. Default none. */
  adminToken?: string | undefined;
  /** Whether reading needs a token. Default: when a read token is set. */
  required?: boolean | undefined;
}

/**
 * The check of the read routes (`/v1/usage`, `/v1/budgets`, `/v1/traces`, `/v1/status`,
 * `/v1/events`, `/v1/pause`): nothing when no token is required; otherwise a 401 HttpError
 * unless the request sends `Authorization: Bearer <read or admin token>`, and a 403 when a token
 * is required but none is configured (the routes stay closed until one is set).
 */
export function readGuard(options: ReadGuardOptions): (req: IncomingMessage) => void {
  const digests = [tokenDigest(options.readToken), tokenDigest(options.adminToken)].filter((d): d is Buffer => d !== undefined);
  const required = options.required ?? tokenDigest(options.readToken) !== undefined;
  return (req) => {
    if (!required) return;
    if (digests.length === 0) {
      throw new HttpError(
        403,
        'reading over HTTP needs a token when the server listens beyond loopback: set TOLLGATE_READ_TOKEN (or server.readToken)',
      );
    }
    if (!sendsBearer(req, digests)) {
      throw new HttpError(401, 'missing or wrong read token: send "Authorization: Bearer <TOLLGATE_READ_TOKEN>"', {
        'www-authenticate': 'Bearer',
      });
    }
  };
}
