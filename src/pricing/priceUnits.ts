import type { ModelPrices } from './ModelPrices.js';

/** How a unit is counted: tokens (priced per 1M or per 1k tokens) or calls (priced per call or per 1k calls). */
export type PriceUnitKind = 'tokens' | 'calls';

/** One billed unit a price entry (an override or a pricing-file entry) can price. */
export interface PriceUnit {
  /** The stem of its field names: `cacheWrite1h` → `cacheWrite1hPerM` / `cache_write_1h_per_m`. */
  stem: string;
  kind: PriceUnitKind;
  /** The ModelPrices field it sets (nano-USD per 1M tokens, or per 1,000 calls). */
  price: keyof ModelPrices;
}

/** Every billed unit an override or a pricing-file entry can price, in the order they are checked. */
export const PRICE_UNITS: readonly PriceUnit[] = [
  { stem: 'input', kind: 'tokens', price: 'input' },
  { stem: 'output', kind: 'tokens', price: 'output' },
  { stem: 'cacheRead', kind: 'tokens', price: 'cacheRead' },
  { stem: 'cacheWrite', kind: 'tokens', price: 'cacheWrite' },
  { stem: 'cacheWrite1h', kind: 'tokens', price: 'cacheWrite1h' },
  { stem: 'reasoning', kind: 'tokens', price: 'reasoning' },
  { stem: 'inputAudio', kind: 'tokens', price: 'inputAudio' },
  { stem: 'outputAudio', kind: 'tokens', price: 'outputAudio' },
  { stem: 'inputImage', kind: 'tokens', price: 'inputImage' },
  { stem: 'request', kind: 'calls', price: 'requestsPerK' },
  { stem: 'webSearch', kind: 'calls', price: 'webSearchesPerK' },
  { stem: 'fileSearch', kind: 'calls', price: 'fileSearchesPerK' },
  { stem: 'codeInterpreter', kind: 'calls', price: 'codeInterpreterCallsPerK' },
  { stem: 'imageGeneration', kind: 'calls', price: 'imageGenerationsPerK' },
  { stem: 'codeExecution', kind: 'calls', price: 'codeExecutionsPerK' },
];

/**
 * The two ways a unit's price may be given: per 1M and per 1k tokens for token units, per call
 * and per 1k calls for call units. `scale` turns the USD number into the ModelPrices integer
 * (nano-USD per 1M tokens, or per 1,000 calls): ×1e9 for per 1M tokens and per 1k calls, ×1e12
 * for per 1k tokens and per call.
 */
export const PRICE_SUFFIXES: Readonly<Record<PriceUnitKind, readonly { camel: string; snake: string; scale: number; per: string; example: string }[]>> = {
  tokens: [
    { camel: 'PerM', snake: '_per_m', scale: 9, per: '1M tokens', example: '2.5' },
    { camel: 'Per1k', snake: '_per_1k', scale: 12, per: '1k tokens', example: '0.0025' },
  ],
  calls: [
    { camel: 'PerCall', snake: '_per_call', scale: 12, per: 'call', example: '0.03' },
    { camel: 'Per1k', snake: '_per_1k', scale: 9, per: '1k calls', example: '30' },
  ],
};

/** `cacheWrite1h` → `cache_write_1h`. */
export function snakeStem(stem: string): string {
  return stem.replace(/[A-Z]|(?<=[a-z])\d+/g, (m) => `_${m.toLowerCase()}`);
}

/** Every field name of a unit, camelCase (code, JSON config) then snake_case (TOML, pricing files). */
export function unitFieldNames(unit: PriceUnit): { camel: string[]; snake: string[] } {
  const suffixes = PRICE_SUFFIXES[unit.kind];
  return { camel: suffixes.map((s) => unit.stem + s.camel), snake: suffixes.map((s) => snakeStem(unit.stem) + s.snake) };
}

/** Every price field name in camelCase (`inputPerM`, `codeInterpreterPerCall`, ...), for the config schema. */
export const CAMEL_PRICE_FIELDS: readonly string[] = PRICE_UNITS.flatMap((u) => unitFieldNames(u).camel);
