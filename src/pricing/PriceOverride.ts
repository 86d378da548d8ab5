import { ConfigError } from '../core/ConfigError.js';
import { didYouMean } from '../core/didYouMean.js';
import { flatPrice, toScaledInteger } from './ModelPrices.js';
import type { ModelPrices } from './ModelPrices.js';
import { PRICE_SUFFIXES, PRICE_UNITS, snakeStem, unitFieldNames } from './priceUnits.js';
import type { PriceUnit } from './priceUnits.js';

/**
 * A custom price for one model, in USD. Token units are priced per 1M tokens (`inputPerM`) or
 * per 1k tokens (`inputPer1k`); call units per call (`codeInterpreterPerCall`) or per 1k calls
 * (`codeInterpreterPer1k`). Give each unit once; the two forms give identical results. Pricing
 * files and TOML spell the same fields in snake_case (`input_per_m`, `cache_write_1h_per_m`,
 * `code_interpreter_per_call`).
 *
 * An entry with an input or an output price replaces the model's prices wholesale (absent cache
 * prices then mean cached tokens are charged at the input price; an absent reasoning price means
 * reasoning tokens are charged at the output price). An entry with neither adds its prices to
 * the price data's entry for the model (e.g. only `codeInterpreterPerCall` for `gpt-4.1`).
 */
export interface PriceOverride {
  inputPerM?: number;
  inputPer1k?: number;
  outputPerM?: number;
  outputPer1k?: number;
  cacheReadPerM?: number;
  cacheReadPer1k?: number;
  /** Cache writes (Anthropic's 5-minute cache). */
  cacheWritePerM?: number;
  cacheWritePer1k?: number;
  /** Writes to Anthropic's 1-hour cache; without it they are charged at the cache write price. */
  cacheWrite1hPerM?: number;
  cacheWrite1hPer1k?: number;
  reasoningPerM?: number;
  reasoningPer1k?: number;
  /** Audio input tokens; without it they are charged as text input. */
  inputAudioPerM?: number;
  inputAudioPer1k?: number;
  /** Audio output tokens; without it they are charged as text output. */
  outputAudioPerM?: number;
  outputAudioPer1k?: number;
  /** Image input tokens; without it they are charged as text input. */
  inputImagePerM?: number;
  inputImagePer1k?: number;
  /** A fee per call, whatever it uses. */
  requestPerCall?: number;
  requestPer1k?: number;
  /** Server-side web searches (Anthropic web search, OpenAI `web_search_call`). */
  webSearchPerCall?: number;
  webSearchPer1k?: number;
  /** OpenAI Responses `file_search_call` items. */
  fileSearchPerCall?: number;
  fileSearchPer1k?: number;
  /** OpenAI Responses `code_interpreter_call` items. */
  codeInterpreterPerCall?: number;
  codeInterpreterPer1k?: number;
  /** OpenAI Responses `image_generation_call` items. */
  imageGenerationPerCall?: number;
  imageGenerationPer1k?: number;
  /** Anthropic `server_tool_use.code_execution_requests`. */
  codeExecutionPerCall?: number;
  codeExecutionPer1k?: number;
}

/** How a price entry is spelled: camelCase in code and JSON config, snake_case in pricing files and TOML. */
export type PriceSpelling = 'camel' | 'snake';

/** Keys allowed in an entry besides prices (documentation and provider). */
const META_KEYS = new Set(['source', 'comment', '$comment', 'provider']);

const NAMES = PRICE_UNITS.map((unit) => ({ unit, ...unitFieldNames(unit) }));
const CAMEL_NAMES = NAMES.flatMap((n) => n.camel);
const SNAKE_NAMES = NAMES.flatMap((n) => n.snake);
const KNOWN = new Set([...META_KEYS, ...CAMEL_NAMES, ...SNAKE_NAMES]);

/** A unit given with the other kind's suffix (`web_search_per_m`, `inputPerCall`): the unit and its right names. */
function wrongSuffix(key: string): { unit: PriceUnit; names: string[] } | undefined {
  const snake = /^([a-z0-9_]+?)_per_(?:m|call)$/.exec(key);
  const camel = /^([A-Za-z0-9]+?)Per(?:M|Call)$/.exec(key);
  const stem = snake?.[1] ?? camel?.[1];
  if (stem === undefined) return undefined;
  const found = NAMES.find((n) => (snake ? snakeStem(n.unit.stem) : n.unit.stem) === stem);
  return found === undefined ? undefined : { unit: found.unit, names: snake ? found.snake : found.camel };
}

/** The ConfigError for a key that is not a price field: the nearest field, or every unit with its suffixes. */
function unknownField(key: string, source: string, path: string): ConfigError {
  const snake = key.includes('_');
  const wrong = wrongSuffix(key);
  if (wrong !== undefined) {
    const per = PRICE_SUFFIXES[wrong.unit.kind].map((s) => s.per).join(' or per ');
    return new ConfigError({
      source,
      path: `${path}.${key}`,
      expected: `${snake ? snakeStem(wrong.unit.stem) : wrong.unit.stem} is priced per ${per}`,
      fix: `rename ${key} to ${wrong.names.join(' or ')}`,
    });
  }
  const guess = didYouMean(key, snake ? SNAKE_NAMES : CAMEL_NAMES) ?? didYouMean(key, snake ? CAMEL_NAMES : SNAKE_NAMES);
  const units = (kind: PriceUnit['kind']): string =>
    PRICE_UNITS.filter((u) => u.kind === kind)
      .map((u) => (snake ? snakeStem(u.stem) : u.stem))
      .join(', ');
  const suffixes = (kind: PriceUnit['kind']): string => PRICE_SUFFIXES[kind].map((s) => (snake ? s.snake : s.camel)).join(' or ');
  return new ConfigError({
    source,
    path: `${path}.${key}`,
    expected: 'unknown price field',
    fix:
      guess !== undefined
        ? `did you mean ${guess}? (rename ${key} to ${guess})`
        : `use a token unit (${units('tokens')}) with ${suffixes('tokens')}, or a call unit (${units('calls')}) with ${suffixes('calls')}`,
  });
}

/**
 * Validates one price entry (an override or a pricing-file entry) and converts it to exact
 * integer prices. Both spellings are accepted (`inputPerM` and `input_per_m`), for every billed
 * unit (see PriceOverride). Throws a ConfigError naming `source`, the entry's key and the bad
 * field, with the nearest field name for a misspelt one.
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
  for (const key of Object.keys(entry)) {
    if (!KNOWN.has(key)) throw unknownField(key, source, path);
  }

  const prices: ModelPrices = {};
  for (const { unit, camel, snake } of NAMES) {
    const found: { name: string; suffix: (typeof PRICE_SUFFIXES)[PriceUnit['kind']][number]; value: unknown }[] = [];
    PRICE_SUFFIXES[unit.kind].forEach((suffix, i) => {
      for (const name of [camel[i] as string, snake[i] as string]) {
        if (name in entry && entry[name] !== undefined) found.push({ name, suffix, value: entry[name] });
      }
    });
    const [first, second] = found;
    if (first === undefined) continue;
    if (second !== undefined) {
      throw new ConfigError({
        source,
        path: `${path}.${second.name}`,
        expected: `${unit.stem} price given twice (${first.name} and ${second.name})`,
        fix: `keep only one of ${first.name} / ${second.name}`,
      });
    }
    const { value, name, suffix } = first;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError({
        source,
        path: `${path}.${name}`,
        expected: `expected a non-negative number of USD per ${suffix.per}`,
        got: value,
        fix: `set ${name} to a price such as ${suffix.example}`,
      });
    }
    prices[unit.price] = flatPrice(toScaledInteger(value, suffix.scale));
  }
  if (Object.keys(prices).length === 0) {
    throw new ConfigError({
      source,
      path,
      expected: 'expected at least one price',
      fix: 'add input_per_m and output_per_m (inputPerM / outputPerM in code) to price the model, or only the units to add to its price-data entry, e.g. code_interpreter_per_call',
    });
  }
  return prices;
}

/** True when an entry adds prices to a model's price-data entry instead of replacing it: it has neither an input nor an output price. */
export function addsToPriceData(prices: ModelPrices): boolean {
  return prices.input === undefined && prices.output === undefined;
}
