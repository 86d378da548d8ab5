/** Let every pending promise callback run (one turn of the event loop; no timer). */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An injected clock and sleep: time moves only when the test says so. */
export class FakeTime {
  now = 0;
  /** Every sleep the code under test asked for, in ms. */
  readonly sleeps: number[] = [];
  private pending: Array<{ at: number; resolve: () => void }> = [];

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.pending.push({ at: this.now + ms, resolve }));
  };

  /** Move the clock to `t` (epoch ms), wake the sleeps that are due, and let them run. */
  async advanceTo(t: number): Promise<void> {
    this.now = t;
    const due = this.pending.filter((p) => p.at <= t);
    this.pending = this.pending.filter((p) => p.at > t);
    for (const p of due) p.resolve();
    await settled();
  }
}

/** Observe a promise's state without awaiting it. */
export function track<T>(promise: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  promise.then(
    () => {
      state = 'resolved';
    },
    (err: unknown) => {
      state = 'rejected';
      error = err;
    },
  );
  return { state: () => state, error: () => error };
}
