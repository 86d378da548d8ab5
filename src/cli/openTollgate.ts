import type { Command } from 'commander';
import { createTollgate, type Tollgate } from '../createTollgate.js';

/**
 * Opens a tollgate for one CLI command: the config file named by the global
 * `--config` (else TOLLGATE_CONFIG, tollgate.toml, tollgate.json in the working
 * directory), the TOLLGATE_* environment, and the configured `store`. Waits until the
 * budgets stored in the ledger are loaded, runs `use`, then shuts the tollgate down
 * (closing the store) whether `use` succeeded or threw.
 *
 * The CLI never patches `fetch` (`guardFetch: false`) and never starts OpenTelemetry.
 * A configuration mistake throws ConfigError (exit code 2 in main.ts).
 */
export async function openTollgate<T>(command: Command, use: (tollgate: Tollgate) => Promise<T> | T): Promise<T> {
  const file = command.optsWithGlobals<{ config?: string }>().config;
  const tollgate = createTollgate({ guardFetch: false, ...(file !== undefined ? { configFile: file } : {}) });
  try {
    await tollgate.ready;
    return await use(tollgate);
  } finally {
    await tollgate.shutdown();
  }
}

/** A store URL for messages, with any password hidden: `redis://:***@host:6379/0`. */
export function describeStore(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
