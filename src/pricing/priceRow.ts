import { isTiered } from './ModelPrices.js';
import type { IntegerPrice } from './ModelPrices.js';
import { pricesAt } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import type { ResolvedModel } from './types.js';

/** One row of the price table (USD per 1M tokens; null when the model has no such price). */
export interface PriceRow {
  provider: string;
  model: string;
  inputPerM: number | null;
  outputPerM: number | null;
  cacheReadPerM: number | null;
  cacheWritePerM: number | null;
  reasoningPerM: number | null;
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
    tiered: isTiered(prices),
    source,
  };
}
