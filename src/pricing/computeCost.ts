import type { Nanos } from '../core/money.js';
import { priceAt } from './ModelPrices.js';
import type { ModelPrices } from './ModelPrices.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { isPricedTier } from './serviceTier.js';

/** The amounts of one priced usage vector, integer nano-USD; the parts sum to `totalNanos`. */
export interface CostParts {
  totalNanos: Nanos;
  inputNanos: Nanos;
  cacheReadNanos: Nanos;
  /** Cache writes at the 5-minute and the 1-hour rate together. */
  cacheWriteNanos: Nanos;
  outputNanos: Nanos;
  reasoningNanos: Nanos;
  requestNanos: Nanos;
  /** Audio input and output tokens at the audio rates. */
  audioNanos: Nanos;
  /** Server-side tool calls (web search, file search, code interpreter, image generation, code execution). */
  serverToolNanos: Nanos;
}

const PER_MILLION = 1_000_000n;
const PART_NAMES = [
  'inputNanos',
  'cacheReadNanos',
  'cacheWriteNanos',
  'outputNanos',
  'reasoningNanos',
  'requestNanos',
  'audioNanos',
  'serverToolNanos',
] as const;

/** The counts of TokenUsage, validated, absent ones as 0 (the service tier is not a count). */
export type UsageCounts = Required<Omit<TokenUsage, 'serviceTier'>>;

/**
 * True when a usage carries more than the five token counts, or a service tier with its own
 * prices (the plain-number fast path prices neither; 'default' and other standard tiers stay on it).
 */
export function hasExtraUnits(usage: TokenUsage): boolean {
  return (
    usage.cacheWrite1h !== undefined ||
    usage.inputAudio !== undefined ||
    usage.inputImage !== undefined ||
    usage.outputAudio !== undefined ||
    usage.webSearches !== undefined ||
    usage.fileSearches !== undefined ||
    usage.codeInterpreterCalls !== undefined ||
    usage.imageGenerations !== undefined ||
    usage.codeExecutions !== undefined ||
    isPricedTier(usage.serviceTier)
  );
}

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
 * inconsistent counts (cacheRead + cacheWrite + inputAudio > input, cacheWrite1h > cacheWrite,
 * reasoning + outputAudio > output).
 */
export function checkUsage(usage: TokenUsage): UsageCounts {
  const input = checkCount('input', usage.input);
  const output = checkCount('output', usage.output);
  const cacheRead = checkCount('cacheRead', usage.cacheRead);
  const cacheWrite = checkCount('cacheWrite', usage.cacheWrite);
  const cacheWrite1h = checkCount('cacheWrite1h', usage.cacheWrite1h);
  const reasoning = checkCount('reasoning', usage.reasoning);
  const inputAudio = checkCount('inputAudio', usage.inputAudio);
  const inputImage = checkCount('inputImage', usage.inputImage);
  const outputAudio = checkCount('outputAudio', usage.outputAudio);
  const webSearches = checkCount('webSearches', usage.webSearches);
  const fileSearches = checkCount('fileSearches', usage.fileSearches);
  const codeInterpreterCalls = checkCount('codeInterpreterCalls', usage.codeInterpreterCalls);
  const imageGenerations = checkCount('imageGenerations', usage.imageGenerations);
  const codeExecutions = checkCount('codeExecutions', usage.codeExecutions);
  if (cacheRead + cacheWrite > input) {
    throw new RangeError(
      `usage.cacheRead + usage.cacheWrite (${cacheRead} + ${cacheWrite}) cannot exceed usage.input (${input}): input includes cached tokens`,
    );
  }
  if (cacheWrite1h > cacheWrite) {
    throw new RangeError(`usage.cacheWrite1h (${cacheWrite1h}) cannot exceed usage.cacheWrite (${cacheWrite}): it is part of the cache writes`);
  }
  if (cacheRead + cacheWrite + inputAudio > input) {
    throw new RangeError(`usage.inputAudio (${inputAudio}) cannot exceed the uncached input (${input - cacheRead - cacheWrite}): it is part of it`);
  }
  if (cacheRead + cacheWrite + inputAudio + inputImage > input) {
    throw new RangeError(
      `usage.inputImage (${inputImage}) cannot exceed the uncached, non-audio input (${input - cacheRead - cacheWrite - inputAudio}): it is part of it`,
    );
  }
  if (reasoning > output) {
    throw new RangeError(`usage.reasoning (${reasoning}) cannot exceed usage.output (${output}): output includes reasoning tokens`);
  }
  if (reasoning + outputAudio > output) {
    throw new RangeError(`usage.outputAudio (${outputAudio}) cannot exceed the output besides reasoning (${output - reasoning}): it is part of it`);
  }
  return { input, output, cacheRead, cacheWrite, cacheWrite1h, reasoning, inputAudio, inputImage, outputAudio, webSearches, fileSearches, codeInterpreterCalls, imageGenerations, codeExecutions };
}

/**
 * Prices a usage vector exactly. Each part is units × (nano-USD per 1M, or per 1k requests
 * × 1000) as a BigInt; the total is rounded once (half up) and spread over the parts by
 * largest remainder, so the parts always sum to the total.
 *
 * Semantics follow genai-prices: input includes cache reads and writes, and a cache
 * kind without its own price is charged at the input price (a 1-hour cache write without a
 * 1-hour price at the cache write price); audio tokens without an audio price are charged as
 * text; image tokens are part of the input, at the image price where the model has one, else
 * as text (how OpenAI bills images to text models, so not reported unpriced); output includes
 * reasoning, charged at the output price unless the model has a separate reasoning price;
 * server-side tool calls are charged per call at their price (the price data has web and file
 * search prices; code interpreter, image generation and code execution prices come from
 * overrides) and cost nothing without one (see `unpricedUnits`). Tiered prices are chosen by the
 * total input tokens.
 */
export function computeCost(usage: TokenUsage, prices: ModelPrices): CostParts {
  const u = checkUsage(usage);
  const at = (p: ModelPrices[keyof ModelPrices]): bigint => (p === undefined ? 0n : priceAt(p, u.input));

  const cacheReadTokens = prices.cacheRead ? u.cacheRead : 0;
  // 1-hour writes at their own price, else at the cache write price, else (with the 5-minute ones) as input.
  const cacheWrite1hTokens = prices.cacheWrite1h || prices.cacheWrite ? u.cacheWrite1h : 0;
  const cacheWrite5mTokens = prices.cacheWrite ? u.cacheWrite - u.cacheWrite1h : 0;
  const cacheWriteTokens = cacheWrite5mTokens + cacheWrite1hTokens;
  const inputAudioTokens = prices.inputAudio ? u.inputAudio : 0;
  const inputImageTokens = prices.inputImage ? u.inputImage : 0;
  const reasoningTokens = prices.reasoning ? u.reasoning : 0;
  const outputAudioTokens = prices.outputAudio ? u.outputAudio : 0;
  const uncachedInput = u.input - cacheReadTokens - cacheWriteTokens - inputAudioTokens - inputImageTokens;
  const plainOutput = u.output - reasoningTokens - outputAudioTokens;

  // Numerators over a common denominator of 1,000,000 (nano-USD × 1e6).
  const numerators: bigint[] = [
    BigInt(uncachedInput) * at(prices.input) + BigInt(inputImageTokens) * at(prices.inputImage),
    BigInt(cacheReadTokens) * at(prices.cacheRead),
    BigInt(cacheWrite5mTokens) * at(prices.cacheWrite) + BigInt(cacheWrite1hTokens) * at(prices.cacheWrite1h ?? prices.cacheWrite),
    BigInt(plainOutput) * at(prices.output),
    BigInt(reasoningTokens) * at(prices.reasoning),
    // one request = 1/1000 of the per-1k price = price × 1000 / 1e6
    prices.requestsPerK ? at(prices.requestsPerK) * 1000n : 0n,
    BigInt(inputAudioTokens) * at(prices.inputAudio) + BigInt(outputAudioTokens) * at(prices.outputAudio),
    // server-side tool calls: count × nano-USD per 1,000 calls × 1000 / 1e6
    (BigInt(u.webSearches) * at(prices.webSearchesPerK) +
      BigInt(u.fileSearches) * at(prices.fileSearchesPerK) +
      BigInt(u.codeInterpreterCalls) * at(prices.codeInterpreterCallsPerK) +
      BigInt(u.imageGenerations) * at(prices.imageGenerationsPerK) +
      BigInt(u.codeExecutions) * at(prices.codeExecutionsPerK)) *
      1000n,
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

  const parts = zeroParts();
  parts.totalNanos = Number(total);
  PART_NAMES.forEach((name, i) => {
    parts[name] = Number(floors[i] ?? 0n);
  });
  return parts;
}

/** Every part 0: the cost of a call with nothing to charge (an unknown model at $0), and the start of a priced one. */
export function zeroParts(): CostParts {
  return {
    totalNanos: 0,
    inputNanos: 0,
    cacheReadNanos: 0,
    cacheWriteNanos: 0,
    outputNanos: 0,
    reasoningNanos: 0,
    requestNanos: 0,
    audioNanos: 0,
    serverToolNanos: 0,
  };
}

/**
 * The billed units of `usage` that `prices` has no price for, by name: `cache_write_1h`
 * (charged at the 5-minute rate), `input_audio` / `output_audio` (charged as text),
 * `web_search` / `file_search` / `code_interpreter` / `image_generation` / `code_execution`
 * (not charged; the price data has no price for the last three, so they need an override).
 * Empty when every unit used is priced.
 */
export function unpricedUnits(usage: TokenUsage, prices: ModelPrices): string[] {
  const units: string[] = [];
  if ((usage.cacheWrite1h ?? 0) > 0 && prices.cacheWrite !== undefined && prices.cacheWrite1h === undefined) units.push('cache_write_1h');
  if ((usage.inputAudio ?? 0) > 0 && prices.inputAudio === undefined) units.push('input_audio');
  if ((usage.outputAudio ?? 0) > 0 && prices.outputAudio === undefined) units.push('output_audio');
  if ((usage.webSearches ?? 0) > 0 && prices.webSearchesPerK === undefined) units.push('web_search');
  if ((usage.fileSearches ?? 0) > 0 && prices.fileSearchesPerK === undefined) units.push('file_search');
  if ((usage.codeInterpreterCalls ?? 0) > 0 && prices.codeInterpreterCallsPerK === undefined) units.push('code_interpreter');
  if ((usage.imageGenerations ?? 0) > 0 && prices.imageGenerationsPerK === undefined) units.push('image_generation');
  if ((usage.codeExecutions ?? 0) > 0 && prices.codeExecutionsPerK === undefined) units.push('code_execution');
  return units;
}
