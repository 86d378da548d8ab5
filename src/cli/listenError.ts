import { UsageError } from './commands/demo.js';

/** The errors of `listen` that a different --port or --host fixes. */
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND']);

/**
 * A `listen` failure that the user fixes with another --port / --host, as a UsageError
 * (exit code 2, one line, no stack) naming the address and the fix; any other error
 * is returned unchanged.
 */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !LISTEN_CODES.has(code)) return err;
  const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : 'no such address';
  return new UsageError(`cannot listen on ${host}:${port} (${code}: ${why}); use --port 0 (any free port) or another --port / --host`);
}
