/**
 * UTC calendar windows. Every function takes and returns epoch milliseconds;
 * nothing here depends on the host's time zone.
 */

export const MS_PER_DAY = 86_400_000;

/** 00:00:00.000 UTC of the day containing `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

/** 00:00:00.000 UTC of the day after the one containing `ms`. */
export function utcNextDayStart(ms: number): number {
  return utcDayStart(ms) + MS_PER_DAY;
}

/** 00:00:00.000 UTC on the 1st of the month containing `ms`. */
export function utcMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** 00:00:00.000 UTC on the 1st of the month after the one containing `ms`. */
export function utcNextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The last day formatted: nearly every call of a process falls on the same day as the one before. */
let lastDay = Number.NaN;
let lastDayKey = '';

/** `YYYY-MM-DD` (UTC) of the day containing `ms`. */
export function utcDayKey(ms: number): string {
  const day = utcDayStart(ms);
  if (day !== lastDay) {
    lastDayKey = new Date(day).toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDayKey;
}

/** `YYYY-MM` (UTC) of the month containing `ms`. */
export function utcMonthKey(ms: number): string {
  return new Date(utcMonthStart(ms)).toISOString().slice(0, 7);
}

/** Epoch ms of 00:00 UTC of a `YYYY-MM-DD` key; NaN when the key is malformed. */
export function utcDayKeyStart(key: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return Number.NaN;
  return Date.parse(`${key}T00:00:00.000Z`);
}

export const MS_PER_WEEK = 7 * MS_PER_DAY;

/** 00:00:00.000 UTC of the Monday starting the ISO week containing `ms`. */
export function utcWeekStart(ms: number): number {
  const day = Math.floor(ms / MS_PER_DAY);
  // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
  const sinceMonday = (((day + 3) % 7) + 7) % 7;
  return (day - sinceMonday) * MS_PER_DAY;
}

/** 00:00:00.000 UTC of the Monday after the ISO week containing `ms`. */
export function utcNextWeekStart(ms: number): number {
  return utcWeekStart(ms) + MS_PER_WEEK;
}

/** `YYYY-Www` (ISO 8601 week, UTC) of the week containing `ms`, e.g. `2026-W01`; the year is the ISO week-year. */
export function utcWeekKey(ms: number): string {
  const thursday = utcWeekStart(ms) + 3 * MS_PER_DAY;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / MS_PER_WEEK) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
