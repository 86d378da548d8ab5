import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig.js';
import { PricingCatalog } from '../../pricing/PricingCatalog.js';
import type { PriceRow } from '../../pricing/PricingCatalog.js';
import { SEED_MODELS } from '../../pricing/seedModels.js';
import { printJson, printLine, printTable, usd } from '../output.js';

interface PricingCommandOptions {
  provider?: string;
  all?: boolean;
  json?: boolean;
}

/** A row as shown: `name` is what the user types, `model` what it is priced as. */
export interface PricingTableRow extends PriceRow {
  name: string;
}

/** `tollgate pricing [--provider p] [--all] [--json]`: the price table. */
export function registerPricingCommand(program: Command): void {
  program
    .command('pricing')
    .description('List model prices (USD per 1M tokens). Default: the built-in seed models plus your overrides.')
    .option('--provider <provider>', 'every model of one provider (e.g. openai, anthropic, google)')
    .option('--all', 'every model in the catalogue')
    .option('--json', 'print JSON')
    .action((options: PricingCommandOptions, command: Command) => {
      const config = loadConfig({ file: command.optsWithGlobals<{ config?: string }>().config });
      const catalog = new PricingCatalog({
        overrides: config.pricing.overrides,
        files: config.pricing.files,
        unknownModel: 'zero',
        localModels: config.pricing.localModels,
      });

      let rows: PricingTableRow[];
      if (options.provider !== undefined || options.all === true) {
        rows = catalog.list(options.provider).map((r) => ({ name: r.model, ...r }));
      } else {
        rows = SEED_MODELS.flatMap((name) => {
          const row = catalog.describe(name);
          return row === undefined ? [] : [{ name, ...row }];
        });
        for (const r of catalog.list()) {
          if (r.source === 'override') rows.push({ name: `${r.provider}/${r.model}`, ...r });
        }
      }

      if (options.json === true) {
        printJson(rows);
        return;
      }
      const tiered = (r: PriceRow, v: number | null): string => (v !== null && r.tiered ? `${usd(v)}*` : usd(v));
      printTable(
        ['Model', 'Provider', 'Priced as', 'Input $/1M', 'Output $/1M', 'Cache read $/1M', 'Cache write $/1M', 'Other units', 'Source'],
        rows.map((r) => [
          r.name,
          r.provider,
          r.model,
          tiered(r, r.inputPerM),
          tiered(r, r.outputPerM),
          tiered(r, r.cacheReadPerM),
          tiered(r, r.cacheWritePerM),
          otherUnitsText(r.otherUnits),
          r.source,
        ]),
        [3, 4, 5, 6],
      );
      if (rows.some((r) => r.tiered)) printLine('* base price; a higher price applies above an input-size threshold');
      if (options.provider === undefined && options.all !== true) {
        printLine('More models: tollgate pricing --provider <id>, or --all.');
      }
    });
}

/** `cacheWrite1hPerM: 6, webSearchPerCall: 0.01` → `cache write 1h $6/1M, web search $0.01/call`. */
function otherUnitsText(units: Record<string, number>): string {
  return Object.entries(units)
    .map(([field, price]) => {
      const perCall = field.endsWith('PerCall');
      const stem = field.slice(0, field.length - (perCall ? 'PerCall' : 'PerM').length);
      const words = stem.replace(/[A-Z]|(?<=[a-z])\d+/g, (m) => ` ${m.toLowerCase()}`);
      return `${words} ${usd(price)}/${perCall ? 'call' : '1M'}`;
    })
    .join(', ');
}
