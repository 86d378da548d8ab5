/** Epoch milliseconds now. Injected everywhere time matters, so tests control it. */
export type Clock = () => number;

/** The wall clock (`Date.now`). */
export const systemClock: Clock = () => Date.now();
