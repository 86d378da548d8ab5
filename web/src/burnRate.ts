import type { BudgetStatus } from './types.js';

/** How fast a budget's counter grows and when, at that pace, it reaches its cap. */
export interface Burn {
  /** USD per hour since the window started; undefined for budgets without a window start. */
  perHour: number | undefined;
  /** Epoch ms when spent + reserved reaches the limit at this pace; undefined when never in this window. */
  capAt: number | undefined;
  /** spent + reserved as a share of the limit. */
  used: number;
  state: 'ok' | 'near' | 'over';
}

/** How far back the current pace is measured: the last hour (or the window so far, when shorter). */
export const PACE_MS = 3_600_000;

/** Where the pace of a windowed budget is measured from at `now`. */
export function paceSince(s: BudgetStatus, now: number): number | undefined {
  return s.windowStart === undefined ? undefined : Math.max(s.windowStart, now - PACE_MS);
}

/**
 * The burn rate and projection of one budget counter at `now` (80 % used or more is `near`).
 * `recentUsd` is what the counter's calls cost since `paceSince` (the current pace); without it
 * the pace is the average since the window started.
 */
export function burnOf(s: BudgetStatus, now: number, recentUsd?: number): Burn {
  const used = s.limitUsd > 0 ? (s.spentUsd + s.reservedUsd) / s.limitUsd : 0;
  const state = used >= 1 ? 'over' : used >= 0.8 ? 'near' : 'ok';
  const since = paceSince(s, now);
  if (since === undefined || s.windowStart === undefined || now <= s.windowStart) return { perHour: undefined, capAt: undefined, used, state };
  const perHour = recentUsd !== undefined ? recentUsd / ((now - since) / 3_600_000) : s.spentUsd / ((now - s.windowStart) / 3_600_000);
  if (perHour <= 0 || s.remainingUsd <= 0) return { perHour, capAt: s.remainingUsd <= 0 ? now : undefined, used, state };
  const capAt = now + (s.remainingUsd / perHour) * 3_600_000;
  return { perHour, capAt: s.windowEnd !== undefined && capAt > s.windowEnd ? undefined : capAt, used, state };
}
