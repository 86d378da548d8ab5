import { ConfigError } from '../core/ConfigError.js';
import { parsePriceEntry } from './PriceOverride.js';
import type { ModelPrices } from './ModelPrices.js';
import { readTextFile } from '../core/readTextFile.js';

/** One model's prices from a pricing file or an override. */
export interface PriceEntry {
  /** The key as written: `model` or `provider/model`. */
  key: string;
  /** Provider named in the entry (`"provider": "..."`), if any. */
  provider?: string;
  prices: ModelPrices;
}

/**
 * Validates a parsed pricing map `{ "<model or provider/model>": { prices } }`.
 * Keys starting with `$` (e.g. `$comment`) are ignored.
 */
export function parsePriceMap(data: unknown, source: string): PriceEntry[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError({
      source,
      path: '',
      expected: 'expected a JSON object mapping model ids to prices, e.g. {"gpt-4o": {"input_per_1k": 0.0025, "output_per_1k": 0.01}}',
      got: data,
    });
  }
  const entries: PriceEntry[] = [];
  for (const [key, raw] of Object.entries(data as Record<string, unknown>)) {
    if (key.startsWith('$')) continue;
    const path = JSON.stringify(key);
    const prices = parsePriceEntry(raw, source, path);
    const provider = (raw as Record<string, unknown>).provider;
    if (provider !== undefined && typeof provider !== 'string') {
      throw new ConfigError({ source, path: `${path}.provider`, expected: 'expected a provider id string', got: provider });
    }
    entries.push(provider === undefined ? { key, prices } : { key, provider, prices });
  }
  return entries;
}

/**
 * Reads and validates a JSON pricing file: `{ "<model or provider/model>": { prices } }` with the
 * fields of PriceOverride in snake_case, token units per 1M or per 1k tokens (`input_per_m`,
 * `cache_write_1h_per_1k`, ...), call units per call or per 1k calls (`code_interpreter_per_call`,
 * `web_search_per_1k`, ...). Any mistake throws a ConfigError naming the file, the model key and the field.
 */
export function loadPricingFile(path: string): PriceEntry[] {
  const text = readTextFile(path, 'pricing file', 'check pricing.files / TOLLGATE_PRICING_FILE');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err: unknown) {
    throw new ConfigError({
      source: path,
      path: '',
      expected: `expected valid JSON (${err instanceof Error ? err.message : String(err)})`,
    });
  }
  return parsePriceMap(data, path);
}
