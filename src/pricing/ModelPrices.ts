import type { ModelPrice, TieredPrices } from '@pydantic/genai-prices';

/**
 * One price as an exact integer: nano-USD per 1M tokens (or, for the `*PerK` prices,
 * nano-USD per 1,000 calls). Tiers follow genai-prices: the price of the highest
 * tier whose `start` is below the call's total input tokens applies to all tokens.
 */
export interface IntegerPrice {
  base: bigint;
  /** Sorted by `start`, ascending. */
  tiers: readonly { start: number; price: bigint }[];
}

/** The prices tollgate uses for one model, all as exact integers. */
export interface ModelPrices {
  input?: IntegerPrice;
  output?: IntegerPrice;
  cacheRead?: IntegerPrice;
  cacheWrite?: IntegerPrice;
  /** Writes to a 1-hour cache (Anthropic); the 5-minute rate is `cacheWrite`. */
  cacheWrite1h?: IntegerPrice;
  reasoning?: IntegerPrice;
  inputAudio?: IntegerPrice;
  /** Image input tokens (genai-prices `input_image_mtok`); without it they are charged as text. */
  inputImage?: IntegerPrice;
  outputAudio?: IntegerPrice;
  /** Per-call fee, nano-USD per 1,000 requests. */
  requestsPerK?: IntegerPrice;
  /** Server-side web searches, nano-USD per 1,000 searches. */
  webSearchesPerK?: IntegerPrice;
  /** Server-side file searches, nano-USD per 1,000 searches. */
  fileSearchesPerK?: IntegerPrice;
  /** OpenAI code interpreter calls, nano-USD per 1,000 calls (no price data has it: overrides only). */
  codeInterpreterCallsPerK?: IntegerPrice;
  /** OpenAI image generation calls, nano-USD per 1,000 calls (overrides only). */
  imageGenerationsPerK?: IntegerPrice;
  /** Anthropic code executions, nano-USD per 1,000 executions (overrides only). */
  codeExecutionsPerK?: IntegerPrice;
}

/** Which genai-prices price keys map to which tollgate price (the others price usage tollgate does not count). */
const GENAI_KEYS: Readonly<Record<string, keyof ModelPrices>> = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cacheRead',
  cache_write_mtok: 'cacheWrite',
  cache_write_1h_mtok: 'cacheWrite1h',
  output_reasoning_mtok: 'reasoning',
  input_audio_mtok: 'inputAudio',
  input_image_mtok: 'inputImage',
  output_audio_mtok: 'outputAudio',
  requests_kcount: 'requestsPerK',
  web_searches_kcount: 'webSearchesPerK',
  storage_searches_kcount: 'fileSearchesPerK',
};

/**
 * A decimal number of USD, scaled by 10^scale and rounded half-up to an integer,
 * computed from its shortest decimal representation (no binary float error).
 * e.g. toScaledInteger(0.075, 9) === 75_000_000n.
 */
export function toScaledInteger(value: number, scale: number): bigint {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`expected a finite non-negative number, got ${String(value)}`);
  }
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(value));
  if (!match) throw new RangeError(`cannot read ${String(value)} as a decimal`);
  const intPart = match[1] ?? '0';
  const fracPart = match[2] ?? '';
  const exponent = Number(match[3] ?? '0');
  const digits = BigInt(intPart + fracPart);
  const shift = scale + exponent - fracPart.length;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  return (digits + divisor / 2n) / divisor;
}

function integerPrice(value: number | TieredPrices, scale: number): IntegerPrice {
  if (typeof value === 'number') return { base: toScaledInteger(value, scale), tiers: [] };
  const tiers = [...value.tiers]
    .sort((a, b) => a.start - b.start)
    .map((t) => ({ start: t.start, price: toScaledInteger(t.price, scale) }));
  return { base: toScaledInteger(value.base, scale), tiers };
}

/** Converts one genai-prices `ModelPrice` (USD floats) to exact integer prices. */
export function pricesFromGenai(price: ModelPrice): ModelPrices {
  const out: ModelPrices = {};
  for (const [key, value] of Object.entries(price)) {
    const field = GENAI_KEYS[key];
    if (field === undefined || value === undefined) continue;
    out[field] = integerPrice(value, 9);
  }
  return out;
}

/** A flat (untiered) price from nano-USD per 1M. */
export function flatPrice(nanosPerM: bigint): IntegerPrice {
  return { base: nanosPerM, tiers: [] };
}

/** The price that applies when the call's total input is `inputTokens`. */
export function priceAt(price: IntegerPrice, inputTokens: number): bigint {
  let current = price.base;
  for (const tier of price.tiers) {
    if (inputTokens > tier.start) current = tier.price;
  }
  return current;
}

/** true when any of the prices changes with the input size. */
export function isTiered(prices: ModelPrices): boolean {
  return Object.values(prices).some((p: IntegerPrice | undefined) => p !== undefined && p.tiers.length > 0);
}
