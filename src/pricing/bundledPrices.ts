import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePriceMap } from './loadPricingFile.js';
import type { PriceEntry } from './loadPricingFile.js';

/** A bundled alias: a common model name pointing at a genai-prices model id. */
export interface BundledAlias {
  provider: string;
  model: string;
  source: string;
  /**
   * true when the alias wins over the price data's own match of the name (the price data
   * matches the alias to the model it served before); otherwise it applies only to names the
   * price data does not know.
   */
  supersedes?: boolean;
}

/** What `data/prices.json` (shipped in the package) holds. */
export interface BundledPrices {
  /** Keyed by lower-cased alias. */
  aliases: ReadonlyMap<string, BundledAlias>;
  models: readonly PriceEntry[];
  /** Absolute path of the file read. */
  path: string;
}

/** `data/prices.json` sits at the package root: two levels above src/pricing, three above dist/src/pricing. */
export function bundledPricesPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'data', 'prices.json');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('tollgate: data/prices.json is missing from the package installation');
}

let cached: BundledPrices | undefined;

/** Reads and validates the bundled price file once per process. */
export function loadBundledPrices(): BundledPrices {
  if (cached) return cached;
  const path = bundledPricesPath();
  const data = JSON.parse(readFileSync(path, 'utf8')) as { aliases?: Record<string, BundledAlias>; models?: unknown };
  const aliases = new Map<string, BundledAlias>();
  for (const [name, alias] of Object.entries(data.aliases ?? {})) {
    if (typeof alias.provider !== 'string' || typeof alias.model !== 'string' || typeof alias.source !== 'string') {
      throw new Error(`${path}: aliases.${name}: expected { provider, model, source } strings`);
    }
    if (alias.supersedes !== undefined && typeof alias.supersedes !== 'boolean') {
      throw new Error(`${path}: aliases.${name}.supersedes: expected true or false`);
    }
    aliases.set(name.toLowerCase(), alias);
  }
  const models = parsePriceMap(data.models ?? {}, path);
  for (const entry of models) {
    const source = (data.models as Record<string, Record<string, unknown>>)[entry.key]?.source;
    if (typeof source !== 'string' || source.length === 0) {
      throw new Error(`${path}: models.${entry.key}: every bundled price needs a "source"`);
    }
  }
  cached = { aliases, models, path };
  return cached;
}
