import { describe, expect, it } from 'vitest';
import {
  utcDayKey,
  utcDayKeyStart,
  utcDayStart,
  utcMonthKey,
  utcMonthStart,
  utcNextDayStart,
  utcNextMonthStart,
  utcNextWeekStart,
  utcWeekKey,
  utcWeekStart,
} from '../../src/time/utcWindows.js';

describe('UTC windows', () => {
  const lastMs = Date.UTC(2026, 11, 31, 23, 59, 59, 999);

  it('puts 23:59:59.999 in the day that is ending and 00:00:00.000 in the next', () => {
    expect(utcDayKey(lastMs)).toBe('2026-12-31');
    expect(utcDayKey(lastMs + 1)).toBe('2027-01-01');
    expect(utcDayStart(lastMs)).toBe(Date.UTC(2026, 11, 31));
    expect(utcNextDayStart(lastMs)).toBe(lastMs + 1);
    expect(utcDayStart(lastMs + 1)).toBe(lastMs + 1);
  });

  it('rolls months over on the 1st, leap years included', () => {
    expect(utcMonthKey(lastMs)).toBe('2026-12');
    expect(utcMonthKey(lastMs + 1)).toBe('2027-01');
    expect(utcMonthStart(Date.UTC(2028, 1, 29, 12))).toBe(Date.UTC(2028, 1, 1));
    expect(utcNextMonthStart(Date.UTC(2028, 1, 29, 12))).toBe(Date.UTC(2028, 2, 1));
    expect(utcNextMonthStart(lastMs)).toBe(Date.UTC(2027, 0, 1));
  });

  it('parses day keys back to their start, and rejects malformed ones', () => {
    expect(utcDayKeyStart('2026-03-10')).toBe(Date.UTC(2026, 2, 10));
    expect(utcDayKeyStart('2026-3-10')).toBeNaN();
  });

  it('starts weeks on Monday 00:00:00.000 UTC, not a millisecond before', () => {
    const monday = Date.UTC(2026, 11, 28); // Monday 2026-12-28
    expect(utcWeekStart(monday - 1)).toBe(Date.UTC(2026, 11, 21));
    expect(utcNextWeekStart(monday - 1)).toBe(monday);
    expect(utcWeekStart(monday)).toBe(monday);
    expect(utcWeekStart(lastMs)).toBe(monday);
    expect(utcNextWeekStart(lastMs)).toBe(Date.UTC(2027, 0, 4));
  });

  it('keys weeks by ISO week-year and week number', () => {
    expect(utcWeekKey(Date.UTC(2026, 11, 28) - 1)).toBe('2026-W52');
    expect(utcWeekKey(lastMs)).toBe('2026-W53');
    expect(utcWeekKey(lastMs + 1)).toBe('2026-W53');
    expect(utcWeekKey(Date.UTC(2027, 0, 4))).toBe('2027-W01');
    expect(utcWeekKey(Date.UTC(2024, 11, 30))).toBe('2025-W01');
    expect(utcWeekKey(Date.UTC(2026, 0, 1))).toBe('2026-W01');
  });
});
