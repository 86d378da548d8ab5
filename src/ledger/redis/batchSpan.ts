/**
 * How far (ms) the calls of one batch script call may lie from its first call: the `now` of its
 * reservations, or the times of its settlements' records. A batch is split where a call would
 * pass it, so the calls of a script call lie within 8 minutes of each other.
 *
 * Why: one script per call drops, at each call, the rolling time slots and the reservations that
 * left their window or expired more than GRACE_MS (10 minutes, luaLibrary.ts) before that call's
 * time. A batch drops them once, at its latest time. Less than GRACE_MS apart, nothing the latest
 * call drops counts for any call of the batch at its own time, so every call is decided, and every
 * counter left, as one script per call would.
 */
export const BATCH_SPAN_MS = 240_000;

/** Whether `time` may join a batch whose first call's time is `first` (undefined: the batch is empty). */
export function withinSpan(first: number | undefined, time: number): boolean {
  return first === undefined || Math.abs(time - first) <= BATCH_SPAN_MS;
}
