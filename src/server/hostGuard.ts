import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'] as const;
const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '[::]']);

/** Lower case, no brackets, no trailing dot. */
function normalizeHostName(name: string): string {
  return name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** The host name of a Host header value, without its port (`[::1]:9464` → `::1`). */
export function hostNameOf(header: string): string {
  const text = header.trim();
  if (text.startsWith('[')) return normalizeHostName(text.slice(0, text.indexOf(']') + 1));
  const colon = text.indexOf(':');
  return normalizeHostName(colon >= 0 && text.indexOf(':', colon + 1) < 0 ? text.slice(0, colon) : text);
}

/** Whether a listen address is loopback only (`127.x.x.x`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const name = normalizeHostName(host);
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * The Host names a server bound to `host` answers by default: the loopback names and the bound
 * host itself; undefined (any) when bound to every interface (0.0.0.0 / ::), where the read token
 * is required instead (a rebound page cannot send it).
 */
export function defaultAllowedHosts(host: string): string[] | undefined {
  const name = normalizeHostName(host);
  if (WILDCARD_ADDRESSES.has(name)) return undefined;
  return [...new Set([...LOOPBACK_NAMES, name])];
}

/**
 * The check against DNS rebinding: a 403 HttpError unless the request's Host header names one of
 * `allowed` (compared without port, case-insensitively). No check when `allowed` is undefined or
 * contains '*'.
 */
export function hostGuard(allowed: readonly string[] | undefined): (req: IncomingMessage) => void {
  if (allowed === undefined || allowed.includes('*')) return () => undefined;
  const names = new Set(allowed.map(normalizeHostName));
  return (req) => {
    const header = req.headers.host;
    if (header === undefined || !names.has(hostNameOf(header))) {
      throw new HttpError(
        403,
        `host "${header ?? ''}" is not served here (DNS rebinding protection); allowed: ${[...names].join(', ')}. ` +
          'Add the name to server.allowedHosts (TOLLGATE_ALLOWED_HOSTS)',
      );
    }
  };
}
