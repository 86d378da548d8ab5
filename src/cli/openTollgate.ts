import type { Command } from 'commander';
import { BudgetConfigError } from '../core/BudgetConfigError.js';
import { BudgetEngine } from '../budget/BudgetEngine.js';
import { loadConfig } from '../config/loadConfig.js';
import type { TollgateConfig } from '../config/schema.js';
import { ConfigError } from '../core/ConfigError.js';
import type { Ledger } from '../ledger/Ledger.js';
import { openStore } from '../ledger/openLedger.js';
import { PricingCatalog } from '../pricing/PricingCatalog.js';

/** What a CLI command works with: the configuration, the configured store and the budgets (config + stored). */
export interface CliTollgate {
  readonly config: TollgateConfig;
  readonly ledger: Ledger;
  /** Config budgets plus the ones stored in the ledger (loaded). */
  readonly budgets: BudgetEngine;
}

/**
 * Opens the configured store for one CLI command: the config file named by the global
 * `--config` (else TOLLGATE_CONFIG, tollgate.toml, tollgate.json in the working
 * directory) and the TOLLGATE_* environment. The store opens with every option of the
 * config that applies to it (`[sqlite]` durability, ...), as createTollgate opens it.
 * Loads the stored budgets, runs `use`, then closes the store whether `use` succeeded or threw.
 *
 * Only the store, the pricing and the budget engine are opened (no OpenTelemetry SDK,
 * metrics or fetch guard), so commands start fast. A configuration mistake, a SQLite file
 * that cannot be created included, throws ConfigError (exit code 2 in main.ts). When the
 * store cannot be reached, prints why on stderr, sets exit code 1 and resolves to
 * undefined without calling `use`.
 */
export async function openTollgate<T>(command: Command, use: (tollgate: CliTollgate) => Promise<T> | T): Promise<T | undefined> {
  const file = command.optsWithGlobals<{ config?: string }>().config;
  const config = loadConfig(file !== undefined ? { file } : {});
  let ledger: Ledger;
  try {
    ledger = openStore(config.store, { sqlite: config.sqlite });
  } catch (err: unknown) {
    if (err instanceof ConfigError) throw err;
    return storeFailed(config.store, err);
  }
  try {
    try {
      await ledger.ping();
    } catch (err: unknown) {
      return storeFailed(config.store, err);
    }
    let budgets: BudgetEngine;
    try {
      budgets = new BudgetEngine({
        ledger,
        pricer: new PricingCatalog({
          overrides: config.pricing.overrides,
          files: config.pricing.files,
          unknownModel: config.pricing.unknownModel,
          localModels: config.pricing.localModels,
        }),
        budgets: config.budgets,
        reservationTtlMs: config.reservationTtlMs,
        failMode: config.failMode,
      });
    } catch (err: unknown) {
      if (err instanceof BudgetConfigError) command.error(`error: ${err.message.replace(/^tollgate: /, '')}`, { exitCode: 2, code: 'tollgate.badBudget' });
      throw err;
    }
    await budgets.load();
    return await use({ config, ledger, budgets });
  } finally {
    await ledger.close();
  }
}

function storeFailed(store: string, err: unknown): undefined {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/^tollgate: /, '');
  process.stderr.write(`tollgate: cannot open the store ${describeStore(store)}: ${reason} (tollgate doctor checks the setup)\n`);
  process.exitCode = 1;
  return undefined;
}

/** A store URL for messages, with any password hidden: `redis://:***@host:6379/0`. */
export function describeStore(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
