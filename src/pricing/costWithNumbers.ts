import { checkCount, checkUsage } from './computeCost.js';
import type { IntegerPrice, ModelPrices } from './ModelPrices.js';
import type { CostBreakdown, ResolvedModel } from './types.js';
import type { TokenUsage } from '../core/TokenUsage.js';

/*
 * The fast path of PricingCatalog.cost(): computeCost() in plain numbers for flat prices,
 * whenever every product and the sum stay below 2^53 (so each step is exact).
 */

/** A model's flat prices as plain numbers (nano-USD per 1M tokens); null when a price is tiered or too large. */
export interface NumberPrices {
  input: number;
  output: number;
  /** Undefined when the model has no such price (those tokens are then charged at the input / output price). */
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  reasoning: number | undefined;
  /** The per-request fee as a numerator over 1,000,000 (nano-USD × 1e6), 0 when none. */
  requestNumerator: number;
}

const numberPricesOf = new WeakMap<ModelPrices, NumberPrices | null>();
const MILLION = 1_000_000;
const HALF_MILLION = 500_000;
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

function flatNumber(p: IntegerPrice | undefined): number | undefined | null {
  if (p === undefined) return undefined;
  if (p.tiers.length > 0 || p.base > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(p.base);
}

/** A model's prices as NumberPrices (memoised per prices object); null when the BigInt path is needed. */
export function numberPrices(prices: ModelPrices): NumberPrices | null {
  let cached = numberPricesOf.get(prices);
  if (cached !== undefined) return cached;
  const fields = [prices.input, prices.output, prices.cacheRead, prices.cacheWrite, prices.reasoning, prices.requestsPerK].map(flatNumber);
  if (fields.some((f) => f === null)) {
    cached = null;
  } else {
    const [input, output, cacheRead, cacheWrite, reasoning, requestsPerK] = fields as (number | undefined)[];
    const requestNumerator = requestsPerK !== undefined ? requestsPerK * 1000 : 0;
    cached = requestNumerator > MAX_EXACT ? null : { input: input ?? 0, output: output ?? 0, cacheRead, cacheWrite, reasoning, requestNumerator };
  }
  numberPricesOf.set(prices, cached);
  return cached;
}

/** Half-up division by 1,000,000 of an exact non-negative integer numerator. */
function roundMillionths(exact: number): number {
  const rem = exact % MILLION;
  return (exact - rem) / MILLION + (rem >= HALF_MILLION ? 1 : 0);
}

/**
 * computeCost() in plain numbers, for flat prices whenever every product and the sum stay
 * below 2^53 (so each step is exact): the same validation, half-up total and
 * largest-remainder split, without BigInt. Undefined when the BigInt
 * path is needed.
 */
export function costWithNumbers(usage: TokenUsage, p: NumberPrices, model: ResolvedModel): CostBreakdown | undefined {
  const input = checkCount('input', usage.input);
  const output = checkCount('output', usage.output);
  const cacheRead = checkCount('cacheRead', usage.cacheRead);
  const cacheWrite = checkCount('cacheWrite', usage.cacheWrite);
  const reasoning = checkCount('reasoning', usage.reasoning);
  if (cacheRead + cacheWrite > input || reasoning > output) {
    checkUsage(usage); // throws the RangeError that names the inconsistent fields
  }
  const cacheReadTokens = p.cacheRead !== undefined ? cacheRead : 0;
  const cacheWriteTokens = p.cacheWrite !== undefined ? cacheWrite : 0;
  const reasoningTokens = p.reasoning !== undefined ? reasoning : 0;
  const n0 = (input - cacheReadTokens - cacheWriteTokens) * p.input;
  const n1 = cacheReadTokens * (p.cacheRead ?? 0);
  const n2 = cacheWriteTokens * (p.cacheWrite ?? 0);
  const n3 = (output - reasoningTokens) * p.output;
  const n4 = reasoningTokens * (p.reasoning ?? 0);
  const n5 = p.requestNumerator;
  const exact = n0 + n1 + n2 + n3 + n4 + n5;
  if (n0 > MAX_EXACT || n1 > MAX_EXACT || n2 > MAX_EXACT || n3 > MAX_EXACT || n4 > MAX_EXACT || exact > MAX_EXACT) return undefined;
  const total = roundMillionths(exact);
  // Each part rounded down to whole nanos, and what was rounded off.
  const remainders = [n0, n1, n2, n3, n4, n5].map((n) => n % MILLION);
  const parts = [n0, n1, n2, n3, n4, n5].map((n, i) => (n - (remainders[i] as number)) / MILLION);
  let floorSum = 0;
  for (const part of parts) floorSum += part;
  // The total rounds once; the parts get the missing nanos by largest remainder (lower index on ties).
  for (let missing = total - floorSum; missing > 0; missing--) {
    let best = -1;
    for (let i = 0; i < 6; i++) if ((remainders[i] as number) > 0 && (best < 0 || (remainders[i] as number) > (remainders[best] as number))) best = i;
    if (best < 0) break;
    parts[best] = (parts[best] as number) + 1;
    remainders[best] = 0;
  }
  return {
    totalNanos: total,
    inputNanos: parts[0] as number,
    cacheReadNanos: parts[1] as number,
    cacheWriteNanos: parts[2] as number,
    outputNanos: parts[3] as number,
    reasoningNanos: parts[4] as number,
    requestNanos: parts[5] as number,
    audioNanos: 0,
    serverToolNanos: 0,
    model,
  };
}

/**
 * The total of costWithNumbers() for uncached input and plain output (what a worst-case
 * estimate prices), without building a breakdown. Undefined when the BigInt path is needed.
 */
export function totalWithNumbers(input: number, output: number, p: NumberPrices): number | undefined {
  const n0 = input * p.input;
  const n3 = output * p.output;
  const exact = n0 + n3 + p.requestNumerator;
  if (n0 > MAX_EXACT || n3 > MAX_EXACT || exact > MAX_EXACT) return undefined;
  return roundMillionths(exact);
}
