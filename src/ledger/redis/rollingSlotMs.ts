/** Rolling windows are counted in this many time slots. */
export const ROLLING_SLOTS_PER_WINDOW = 1440;

/**
 * Width of one time slot of a rolling window: `max(1, floor(rollingMs / 1440))`,
 * e.g. 1 minute for 24 h, 30 minutes for 30 days, 1 ms for windows up to 1440 ms.
 *
 * Precision: spend settled at time t is counted while any part of its slot lies in
 * (now - rollingMs, now], so it leaves the window between rollingMs and
 * rollingMs + slotMs - 1 after t: never early, at most one slot late.
 */
export function rollingSlotMs(rollingMs: number): number {
  return Math.max(1, Math.floor(rollingMs / ROLLING_SLOTS_PER_WINDOW));
}
