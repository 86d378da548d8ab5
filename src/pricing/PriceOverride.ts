import { ConfigError } from '../core/ConfigError.js';
import { flatPrice, toScaledInteger } from './ModelPrices.js';
import type { ModelPrices } from './ModelPrices.js';

/**
 * A custom price for one model, in USD. Give each price per 1M tokens (`inputPerM`)
 * or per 1k tokens (`inputPer1k`), not both; the two forms give identical results.
 * Absent cache prices mean cached tokens are charged at the input price; an absent
 * reasoning price means reasoning tokens are charged at the output price.
 */
export interface PriceOverride {
  inputPerM?: number;
  outputPerM?: number;
  cacheReadPerM?: number;
  cacheWritePerM?: number;
  reasoningPerM?: number;
  inputPer1k?: number;
  outputPer1k?: number;
  cacheReadPer1k?: number;
  cacheWritePer1k?: number;
  reasoningPer1k?: number;
}

const FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;
type PriceField = (typeof FIELDS)[number];

/** How a price entry is spelled: camelCase in code and JSON config, snake_case in pricing files and TOML. */
export type PriceSpelling = 'camel' | 'snake';

function fieldName(field: PriceField, unit: 'M' | '1k', spelling: PriceSpelling): string {
  if (spelling === 'camel') return `${field}Per${unit}`;
  const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return `${snake}_per_${unit === 'M' ? 'm' : '1k'}`;
}

/** Keys allowed in an entry besides prices (documentation and provider). */
const META_KEYS = new Set(['source', 'comment', '$comment', 'provider']);

/**
 * Validates one price entry (an override or a pricing-file entry) and converts it to
 * exact integer prices. Both spellings are accepted (`inputPerM` and `input_per_m`).
 * Throws a ConfigError naming `source`, the entry's key and the bad field.
 */
export function parsePriceEntry(raw: unknown, source: string, path: string): ModelPrices {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError({
      source,
      path,
      expected: 'expected an object of prices such as { "input_per_m": 3, "output_per_m": 15 }',
      got: raw,
    });
  }
  const entry = raw as Record<string, unknown>;
  const known = new Set<string>(META_KEYS);
  for (const field of FIELDS) {
    for (const unit of ['M', '1k'] as const) {
      known.add(fieldName(field, unit, 'camel'));
      known.add(fieldName(field, unit, 'snake'));
    }
  }
  for (const key of Object.keys(entry)) {
    if (!known.has(key)) {
      throw new ConfigError({
        source,
        path: `${path}.${key}`,
        expected: 'unknown price field',
        fix: 'use input/output/cache_read/cache_write/reasoning with _per_m or _per_1k (or inputPerM, inputPer1k... in code)',
      });
    }
  }

  const prices: ModelPrices = {};
  for (const field of FIELDS) {
    const found: { name: string; unit: 'M' | '1k'; value: unknown }[] = [];
    for (const unit of ['M', '1k'] as const) {
      for (const spelling of ['camel', 'snake'] as const) {
        const name = fieldName(field, unit, spelling);
        if (name in entry && entry[name] !== undefined) found.push({ name, unit, value: entry[name] });
      }
    }
    if (found.length === 0) continue;
    const [first, second] = found;
    if (second !== undefined && first !== undefined) {
      throw new ConfigError({
        source,
        path: `${path}.${second.name}`,
        expected: `${field} price given twice (${first.name} and ${second.name})`,
        fix: `keep only one of ${first.name} / ${second.name}`,
      });
    }
    if (first === undefined) continue;
    const { value, name, unit } = first;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError({
        source,
        path: `${path}.${name}`,
        expected: `expected a non-negative number of USD per ${unit === 'M' ? '1M' : '1k'} tokens`,
        got: value,
        fix: `set ${name} to a price such as ${unit === 'M' ? '2.5' : '0.0025'}`,
      });
    }
    // nano-USD per 1M tokens: per-1M USD × 1e9, per-1k USD × 1e12
    prices[field] = flatPrice(toScaledInteger(value, unit === 'M' ? 9 : 12));
  }
  if (prices.input === undefined && prices.output === undefined) {
    throw new ConfigError({
      source,
      path,
      expected: 'expected at least an input or an output price',
      fix: 'add input_per_m and output_per_m (or input_per_1k and output_per_1k)',
    });
  }
  return prices;
}
