import { isTiered } from './ModelPrices.js';
import type { IntegerPrice } from './ModelPrices.js';
import { pricesAt } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import type { ResolvedModel } from './types.js';
import { PRICE_UNITS, PRICE_SUFFIXES } from './priceUnits.js';

/** The five token prices every row shows in columns of their own. */
const COLUMN_UNITS = new Set(['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning']);

/** One row of the price table (USD per 1M tokens; null when the model has no such price). */
export interface PriceRow {
  provider: string;
  model: string;
  inputPerM: number | null;
  outputPerM: number | null;
  cacheReadPerM: number | null;
  cacheWritePerM: number | null;
  reasoningPerM: number | null;
  /**
   * The model's other unit prices, by override field name: token units per 1M tokens
   * (`cacheWrite1hPerM`, `inputAudioPerM`, ...), call units per call (`webSearchPerCall`,
   * `codeInterpreterPerCall`, ...). Empty when it has none.
   */
  otherUnits: Record<string, number>;
  /** true when prices rise above an input-size threshold (the row shows the base prices). */
  tiered: boolean;
  source: ResolvedModel['source'];
}

function usdPerM(price: IntegerPrice | undefined): number | null {
  return price === undefined ? null : Number(price.base) / 1e9;
}

/** The row of one model with the prices its schedule has in force at `now`. */
export function priceRow(provider: string, model: string, schedule: PriceSchedule, source: ResolvedModel['source'], now: Date): PriceRow {
  const prices = pricesAt(schedule, now);
  return {
    provider,
    model,
    inputPerM: usdPerM(prices.input),
    outputPerM: usdPerM(prices.output),
    cacheReadPerM: usdPerM(prices.cacheRead),
    cacheWritePerM: usdPerM(prices.cacheWrite),
    reasoningPerM: usdPerM(prices.reasoning),
    otherUnits: otherUnits(prices),
    tiered: isTiered(prices),
    source,
  };
}

/** The prices besides the five token columns: tokens per 1M (nano-USD per 1M / 1e9), calls per call (nano-USD per 1k / 1e12). */
function otherUnits(prices: ReturnType<typeof pricesAt>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const unit of PRICE_UNITS) {
    const price = prices[unit.price];
    if (COLUMN_UNITS.has(unit.stem) || price === undefined) continue;
    const suffix = PRICE_SUFFIXES[unit.kind][0]!;
    out[unit.stem + suffix.camel] = Number(price.base) / (unit.kind === 'tokens' ? 1e9 : 1e12);
  }
  return out;
}
