import type { Command } from 'commander';
import { isLoopbackHost } from '../../server/hostGuard.js';
import { listenError } from '../listenError.js';
import { describeStore } from '../openTollgate.js';
import { seedStoreTotals } from '../seedStoreTotals.js';
import { printLine } from '../output.js';
import { UsageError } from './demo.js';

interface ServeOptions {
  port?: string;
  host?: string;
  json?: boolean;
}

/**
 * `tollgate serve [--port n] [--host h] [--json]`: the HTTP API (/metrics, /healthz,
 * /v1/usage, /v1/budgets, /v1/traces, /v1/status, /v1/events) over the configured store,
 * until SIGINT or SIGTERM; then it closes the server and the store and exits 0.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve /metrics and the HTTP API over the configured store until Ctrl-C / SIGTERM')
    .option('--port <port>', 'port (0: any free port; default: config server.port, TOLLGATE_PORT, else 9464)')
    .option('--host <host>', 'address to listen on (default: config server.host, TOLLGATE_HOST, else 127.0.0.1)')
    .option('--json', 'print the address as one JSON line')
    .action(async (opts: ServeOptions, command: Command) => {
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!/^\d+$/.test(opts.port ?? '') || port > 65535)) {
        throw new UsageError(`--port: expected an integer 0-65535, got "${opts.port ?? ''}"`);
      }
      const file = command.optsWithGlobals<{ config?: string }>().config;
      // Loaded here, not at start-up: it brings the OpenTelemetry SDK, which the other commands do not need.
      const { createTollgate } = await import('../../createTollgate.js');
      const tollgate = createTollgate({ guardFetch: false, ...(file !== undefined ? { configFile: file } : {}) });
      // Listen for signals before serving, so a signal during start-up still shuts down cleanly.
      let stop: () => void = () => undefined;
      const stopped = new Promise<string>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => resolve(signal);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        stop = () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        };
      });
      try {
        await tollgate.ready;
        // Before listening, so no call of this process can be counted twice.
        try {
          await seedStoreTotals(tollgate.ledger, tollgate.metrics);
        } catch (err: unknown) {
          process.stderr.write(`tollgate: /metrics starts from zero: reading the store's totals failed (${err instanceof Error ? err.message : String(err)})\n`);
        }
        const host = opts.host ?? tollgate.config.server.host;
        const listenPort = port ?? tollgate.config.server.port;
        let server: Awaited<ReturnType<typeof tollgate.serve>>;
        try {
          server = await tollgate.serve({ host, port: listenPort });
        } catch (err: unknown) {
          throw listenError(err, host, listenPort);
        }
        const store = describeStore(tollgate.config.store);
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify({ url: server.url, page: `${server.url}/`, port: server.port, store })}\n`);
        } else {
          printLine(`open ${server.url}/ : the page (spend, budgets, live calls, traces)`);
          printLine(`tollgate serving ${server.url} (/metrics, /healthz, /v1/usage, /v1/budgets, /v1/traces, /v1/status, /v1/events)`);
          printLine(`store ${store}; Ctrl-C stops`);
        }
        const { server: cfg } = tollgate.config;
        if (!isLoopbackHost(host) && cfg.readToken === undefined && cfg.adminToken === undefined) {
          process.stderr.write(`tollgate: listening beyond loopback (${host}): the page and /v1/* stay closed until TOLLGATE_READ_TOKEN is set (/metrics and /healthz stay open)\n`);
        }
        const signal = await stopped;
        process.stderr.write(`tollgate: ${signal}, shutting down\n`);
      } finally {
        stop();
        await tollgate.shutdown();
      }
    });
}
