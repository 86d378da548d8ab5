import { describe, expect, it } from 'vitest';
import { parseTimeParam } from '../../src/server/parseTimeParam.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('parseTimeParam', () => {
  it.each([
    ['24h', NOW - 24 * 3_600_000],
    ['7d', NOW - 7 * 86_400_000],
    ['30m', NOW - 30 * 60_000],
    ['90s', NOW - 90_000],
    ['1.5h', NOW - 5_400_000],
    ['2w', NOW - 14 * 86_400_000],
    ['500ms', NOW - 500],
    ['1795000000000', 1_795_000_000_000],
    ['2026-11-01', Date.UTC(2026, 10, 1)],
    ['2026-11-23T10:15:00Z', Date.UTC(2026, 10, 23, 10, 15)],
    ['2026-11-23T10:15:00.250+01:00', Date.UTC(2026, 10, 23, 9, 15, 0, 250)],
  ])('reads %s', (text, expected) => {
    expect(parseTimeParam(text, NOW)).toBe(expected);
  });

  it.each(['', 'yesterday', '24x', 'h', '-1d', '2026-13-45', '1e3', '99999999999999999999'])('rejects %j', (text) => {
    expect(parseTimeParam(text, NOW)).toBeUndefined();
  });
});
