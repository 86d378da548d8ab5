import type { Nanos } from '../core/money.js';
import { priceAt } from './ModelPrices.js';
import type { ModelPrices } from './ModelPrices.js';
import type { TokenUsage } from '../core/TokenUsage.js';

/** The amounts of one priced usage vector, integer nano-USD; the parts sum to `totalNanos`. */
export interface CostParts {
  totalNanos: Nanos;
  inputNanos: Nanos;
  cacheReadNanos: Nanos;
  cacheWriteNanos: Nanos;
  outputNanos: Nanos;
  reasoningNanos: Nanos;
  requestNanos: Nanos;
}

const PER_MILLION = 1_000_000n;
const PART_NAMES = ['inputNanos', 'cacheReadNanos', 'cacheWriteNanos', 'outputNanos', 'reasoningNanos', 'requestNanos'] as const;

/** A token count as an integer >= 0 (absent = 0); throws a RangeError naming `usage.<field>` otherwise. */
export function checkCount(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`usage.${field} must be a non-negative integer number of tokens, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates a usage vector and returns its counts with absent fields as 0.
 * Throws a RangeError naming the field for negative, fractional, NaN or
 * inconsistent counts (cacheRead + cacheWrite > input, reasoning > output).
 */
export function checkUsage(usage: TokenUsage): Required<TokenUsage> {
  const input = checkCount('input', usage.input);
  const output = checkCount('output', usage.output);
  const cacheRead = checkCount('cacheRead', usage.cacheRead);
  const cacheWrite = checkCount('cacheWrite', usage.cacheWrite);
  const reasoning = checkCount('reasoning', usage.reasoning);
  if (cacheRead + cacheWrite > input) {
    throw new RangeError(
      `usage.cacheRead + usage.cacheWrite (${cacheRead} + ${cacheWrite}) cannot exceed usage.input (${input}): input includes cached tokens`,
    );
  }
  if (reasoning > output) {
    throw new RangeError(`usage.reasoning (${reasoning}) cannot exceed usage.output (${output}): output includes reasoning tokens`);
  }
  return { input, output, cacheRead, cacheWrite, reasoning };
}

/**
 * Prices a usage vector exactly. Each part is tokens × (nano-USD per 1M) as a BigInt;
 * the total is rounded once (half up) and spread over the parts by largest remainder,
 * so the parts always sum to the total.
 *
 * Semantics follow genai-prices: input includes cache reads and writes, and a cache
 * kind without its own price is charged at the input price; output includes reasoning,
 * charged at the output price unless the model has a separate reasoning price. Tiered
 * prices are chosen by the total input tokens.
 */
export function computeCost(usage: TokenUsage, prices: ModelPrices): CostParts {
  const u = checkUsage(usage);
  const at = (p: ModelPrices[keyof ModelPrices]): bigint => (p === undefined ? 0n : priceAt(p, u.input));

  const cacheReadTokens = prices.cacheRead ? u.cacheRead : 0;
  const cacheWriteTokens = prices.cacheWrite ? u.cacheWrite : 0;
  const reasoningTokens = prices.reasoning ? u.reasoning : 0;
  const uncachedInput = u.input - cacheReadTokens - cacheWriteTokens;
  const plainOutput = u.output - reasoningTokens;

  // Numerators over a common denominator of 1,000,000 (nano-USD × 1e6).
  const numerators: bigint[] = [
    BigInt(uncachedInput) * at(prices.input),
    BigInt(cacheReadTokens) * at(prices.cacheRead),
    BigInt(cacheWriteTokens) * at(prices.cacheWrite),
    BigInt(plainOutput) * at(prices.output),
    BigInt(reasoningTokens) * at(prices.reasoning),
    // one request = 1/1000 of the per-1k price = price × 1000 / 1e6
    prices.requestsPerK ? at(prices.requestsPerK) * 1000n : 0n,
  ];

  const exact = numerators.reduce((a, b) => a + b, 0n);
  const total = (exact + PER_MILLION / 2n) / PER_MILLION;
  const floors = numerators.map((n) => n / PER_MILLION);
  let missing = total - floors.reduce((a, b) => a + b, 0n);
  const byRemainder = numerators
    .map((n, i) => ({ i, rem: n % PER_MILLION }))
    .filter((r) => r.rem > 0n)
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of byRemainder) {
    if (missing <= 0n) break;
    floors[i] = (floors[i] ?? 0n) + 1n;
    missing -= 1n;
  }

  const parts: CostParts = {
    totalNanos: Number(total),
    inputNanos: 0,
    cacheReadNanos: 0,
    cacheWriteNanos: 0,
    outputNanos: 0,
    reasoningNanos: 0,
    requestNanos: 0,
  };
  PART_NAMES.forEach((name, i) => {
    parts[name] = Number(floors[i] ?? 0n);
  });
  return parts;
}
