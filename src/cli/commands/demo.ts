import type { Command } from 'commander';
import { listenError } from '../listenError.js';
import { reportJson } from '../../report/renderJson.js';

/** `tollgate demo`: the simulated agent, the SQLite ledger, /metrics, and the spend report. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Drive a simulated agent through tollgate (fake providers, real SDK clients, SQLite ledger), serve /metrics, print the spend report')
    .option('--fast', 'fewer tasks, no simulated latency')
    .option('--port <port>', 'port for /metrics and the API (0: any free port)', '9464')
    .option('--host <host>', 'address to listen on', process.env.TOLLGATE_HOST ?? '127.0.0.1')
    .option('--hold <seconds>', 'keep serving /metrics this long after the run', '0')
    .option('--db <path>', 'SQLite ledger file (replaced on each run)', '.tollgate/demo.db')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { fast?: boolean; port: string; host: string; hold: string; db: string; json?: boolean }) => {
      const port = Number(opts.port);
      const holdSeconds = Number(opts.hold);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected an integer 0-65535, got "${opts.port}"`);
      if (!Number.isFinite(holdSeconds) || holdSeconds < 0) throw new UsageError(`--hold: expected seconds >= 0, got "${opts.hold}"`);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { runDemo } = await loadDemo();
        let result: Awaited<ReturnType<typeof runDemo>>;
        try {
          result = await runDemo({ fast: opts.fast ?? false, port, host: opts.host, holdSeconds, dbPath: opts.db, signal: stop.signal });
        } catch (err: unknown) {
          throw listenError(err, opts.host, port);
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ metricsUrl: result.metricsUrl, scrapedSeries: result.scrapedSeries, decisions: result.decisions, report: reportJson(result.report) }, null, 2)}\n`);
        } else {
          process.stdout.write(`\n${result.markdown}`);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** A bad flag value: exit code 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The demo drives the real openai and @anthropic-ai/sdk clients: load them only for this command. */
async function loadDemo(): Promise<typeof import('../../demo/runDemo.js')> {
  try {
    return await import('../../demo/runDemo.js');
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new UsageError(`the demo needs the provider SDKs: npm install openai @anthropic-ai/sdk (${(err as Error).message})`);
    }
    throw err;
  }
}
