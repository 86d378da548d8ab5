/** A synchronous wait (the thread sleeps; no event-loop turn passes). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `step` (synchronous SQLite work), again every few milliseconds while it fails with
 * SQLITE_BUSY, for up to `timeoutMs`; then, or on any other error, throws what it threw. For the
 * steps SQLite answers with SQLITE_BUSY at once instead of calling the busy handler: switching a
 * file several processes are opening at the same time to WAL mode.
 */
export function retryWhileBusy<T>(step: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      return step();
    } catch (err: unknown) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      sleepSync(wait);
    }
  }
}
