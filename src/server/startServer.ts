import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerDeps } from './ServerDeps.js';
import { createRequestHandler } from './createRequestHandler.js';
import { defaultAllowedHosts, isLoopbackHost } from './hostGuard.js';

export interface StartServerOptions {
  /** Interface to listen on. Default '127.0.0.1' (loopback only; use '0.0.0.0' to expose it). */
  host?: string;
  /** Port; 0 picks a free one. Default 9464 (the port OpenTelemetry's Prometheus exporter uses). */
  port?: number;
}

/** A running tollgate HTTP server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:9464` */
  readonly url: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and ends open connections (server-sent event streams included). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serve the tollgate HTTP API and the page (see `createRequestHandler`) on its own node:http
 * server. Bound to anything but loopback, the read routes need a token (`deps.requireReadToken`
 * defaults to true there); Host headers are checked against `deps.allowedHosts`, by default the
 * loopback names and the bound host (any when bound to 0.0.0.0 / ::).
 */
export async function startServer(deps: ServerDeps, options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 9464;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new Error(`tollgate: server option "port" is ${String(requestedPort)}; use an integer from 0 to 65535 (default 9464)`);
  }
  const allowedHosts = deps.allowedHosts ?? defaultAllowedHosts(host);
  const server = createServer(
    createRequestHandler({
      ...deps,
      requireReadToken: deps.requireReadToken ?? (!isLoopbackHost(host) || (deps.readToken !== undefined && deps.readToken !== '')),
      ...(allowedHosts !== undefined ? { allowedHosts } : {}),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
