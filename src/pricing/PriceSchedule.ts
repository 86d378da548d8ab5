import type { ModelInfo } from '@pydantic/genai-prices';
import { pricesFromGenai } from './ModelPrices.js';
import type { ModelPrices } from './ModelPrices.js';

/** When a price entry applies (genai-prices' price constraints). */
export type PriceConstraint =
  | { type: 'start_date'; startMs: number }
  /** Seconds after 00:00 UTC; the window wraps midnight when end < start. */
  | { type: 'time_of_day'; startSec: number; endSec: number };

/**
 * A model's prices over time: the last entry whose constraint holds at the call's
 * time wins; an entry without a constraint is the default (same rule as genai-prices).
 */
export interface PriceSchedule {
  entries: readonly { constraint?: PriceConstraint; prices: ModelPrices }[];
}

const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** "16:30:00Z" → seconds after 00:00 UTC. */
function secondsOfDayUtc(value: string): number {
  const m = TIME_RE.exec(value);
  if (!m) throw new Error(`invalid time-of-day price constraint: ${value}`);
  const [, hh, mm, ss, frac = '', zone, sign, oh = '00', om = '00'] = m;
  const local = Number(hh) * 3600 + Number(mm) * 60 + Number(ss) + Number(`0.${frac}`);
  const offset = zone === 'Z' ? 0 : (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60;
  return (local - offset + 86400) % 86400;
}

/** A schedule with one unconstrained entry. */
export function staticSchedule(prices: ModelPrices): PriceSchedule {
  return { entries: [{ prices }] };
}

/** Converts a genai-prices model's prices (plain or conditional) to a schedule of integer prices. */
export function scheduleFromGenai(model: ModelInfo): PriceSchedule {
  if (!Array.isArray(model.prices)) return staticSchedule(pricesFromGenai(model.prices));
  return {
    entries: model.prices.map((entry) => {
      const prices = pricesFromGenai(entry.prices);
      const c = entry.constraint;
      if (c === undefined) return { prices };
      if (c.type === 'start_date') return { prices, constraint: { type: 'start_date', startMs: Date.parse(c.start_date) } };
      return {
        prices,
        constraint: { type: 'time_of_day', startSec: secondsOfDayUtc(c.start_time), endSec: secondsOfDayUtc(c.end_time) },
      };
    }),
  };
}

/** The prices in force at `now`. */
export function pricesAt(schedule: PriceSchedule, now: Date): ModelPrices {
  const { entries } = schedule;
  if (entries.length === 1) return entries[0]?.prices ?? {};
  const t = now.getTime();
  const sec = now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds() + now.getUTCMilliseconds() / 1000;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry === undefined) continue;
    const c = entry.constraint;
    if (c === undefined) return entry.prices;
    if (c.type === 'start_date') {
      if (t >= c.startMs) return entry.prices;
    } else if (c.endSec < c.startSec ? sec >= c.startSec || sec < c.endSec : sec >= c.startSec && sec < c.endSec) {
      return entry.prices;
    }
  }
  return entries[0]?.prices ?? {};
}
