import { findProvider } from '@pydantic/genai-prices';

/**
 * A published price of the price data in force now, USD per 1M tokens (or per 1k requests for
 * *_kcount): the last price entry whose start date has passed, the base of a tiered price
 * (these tests stay below every tier's threshold).
 */
export function published(provider: string, model: string, key: string): number {
  const info = findProvider({ providerId: provider })?.models.find((m) => m.id === model);
  if (info === undefined) throw new Error(`no ${provider}/${model} in the price data`);
  const entries = Array.isArray(info.prices) ? info.prices : [{ prices: info.prices }];
  const live = entries.filter((e) => e.constraint?.type !== 'start_date' || Date.parse(e.constraint.start_date) <= Date.now());
  const value: unknown = live.at(-1)?.prices[key];
  const usd = typeof value === 'object' && value !== null ? (value as { base: unknown }).base : value;
  if (typeof usd !== 'number') throw new Error(`no ${key} for ${provider}/${model} in the price data`);
  return usd;
}

/** USD per 1M × tokens as exact nano-USD per token: the prices have at most 3 decimals, so ×1000 is an integer. */
export const nanos = (usdPerM: number, tokens: number): number => Math.round(usdPerM * 1000) * tokens;

