import type { IntegerPrice, ModelPrices } from './ModelPrices.js';
import type { PriceSchedule } from './PriceSchedule.js';

/** The token kinds a ceiling prices. */
const KINDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'inputAudio', 'inputImage', 'outputAudio', 'webSearchesPerK', 'fileSearchesPerK', 'codeInterpreterCallsPerK', 'imageGenerationsPerK', 'codeExecutionsPerK'] as const;
type Kind = (typeof KINDS)[number];

/**
 * The prices of a schedule that are in force at `nowMs` or can be later. Scanning from the
 * end as `pricesAt` does, an entry without a constraint, or with a start date already past,
 * applies from now on whenever no later entry does, so the entries before it are dead.
 */
export function livePrices(schedule: PriceSchedule, nowMs: number): ModelPrices[] {
  const live: ModelPrices[] = [];
  for (let i = schedule.entries.length - 1; i >= 0; i--) {
    const entry = schedule.entries[i];
    if (entry === undefined) continue;
    live.push(entry.prices);
    const c = entry.constraint;
    if (c === undefined || (c.type === 'start_date' && c.startMs <= nowMs)) break;
  }
  return live;
}

/** The price in force for inputs just above `start` tokens (the tier rule of `priceAt`). */
function priceAbove(price: IntegerPrice, start: number): bigint {
  let current = price.base;
  for (const tier of price.tiers) if (tier.start <= start) current = tier.price;
  return current;
}

/**
 * The dearest of several prices at every input size: the largest base, and a tier at every
 * tier start of any of them with the largest price that applies above it. Undefined for none.
 */
export function maxPrice(prices: readonly IntegerPrice[]): IntegerPrice | undefined {
  if (prices.length === 0) return undefined;
  let base = 0n;
  for (const p of prices) if (p.base > base) base = p.base;
  const starts = [...new Set(prices.flatMap((p) => p.tiers.map((t) => t.start)))].sort((a, b) => a - b);
  const tiers: { start: number; price: bigint }[] = [];
  let previous = base;
  for (const start of starts) {
    let price = 0n;
    for (const p of prices) {
      const at = priceAbove(p, start);
      if (at > price) price = at;
    }
    if (price !== previous) tiers.push({ start, price });
    previous = price;
  }
  return { base, tiers };
}

/**
 * The ceiling of some models' prices: for input, output, cache read and cache write (5-minute
 * and 1-hour), audio input and output, and server-side tool calls (searches, code interpreter, image generation, code execution), the
 * dearest price any of them charges for that kind of token (at every input size), over every
 * price entry in force now or later. A model without a cache price charges cached tokens at
 * its input price, and one with a reasoning price charges reasoning tokens (part of the
 * output) at it, so those count too: no model of the set costs more than the ceiling for the
 * same usage, per-request fees aside. Undefined when none of the models has a token price.
 */
export function ceilingPrices(schedules: Iterable<PriceSchedule>, now: Date): ModelPrices | undefined {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, [] as IntegerPrice[]])) as Record<Kind, IntegerPrice[]>;
  const add = (kind: Kind, price: IntegerPrice | undefined): void => {
    if (price !== undefined) byKind[kind].push(price);
  };
  let priced = false;
  for (const schedule of schedules) {
    for (const p of livePrices(schedule, now.getTime())) {
      // Models priced by other units only (pages, audio hours) say nothing about token prices.
      if (p.input === undefined && p.output === undefined) continue;
      priced = true;
      add('input', p.input);
      add('output', p.output);
      add('output', p.reasoning);
      add('cacheRead', p.cacheRead ?? p.input);
      add('cacheWrite', p.cacheWrite ?? p.input);
      add('cacheWrite1h', p.cacheWrite1h ?? p.cacheWrite ?? p.input);
      add('inputAudio', p.inputAudio ?? p.input);
      add('inputImage', p.inputImage ?? p.input);
      add('outputAudio', p.outputAudio ?? p.output);
      add('webSearchesPerK', p.webSearchesPerK);
      add('fileSearchesPerK', p.fileSearchesPerK);
      add('codeInterpreterCallsPerK', p.codeInterpreterCallsPerK);
      add('imageGenerationsPerK', p.imageGenerationsPerK);
      add('codeExecutionsPerK', p.codeExecutionsPerK);
    }
  }
  if (!priced) return undefined;
  const ceiling: ModelPrices = {};
  for (const kind of KINDS) {
    const max = maxPrice(byKind[kind]);
    if (max !== undefined) ceiling[kind] = max;
  }
  return ceiling;
}
