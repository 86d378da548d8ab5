// Timing helpers: batches timed with process.hrtime.bigint, variants interleaved in rounds
// (the order rotates every round) so that machine noise hits every variant alike.

/** Median of a list of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Mean of a list of numbers. */
export function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** a[i] / b[i] for every round: two variants' batches of the same round compared, round by round. */
export function roundRatios(a, b) {
  return a.map((x, i) => x / b[i]);
}

/** Median over rounds of a[i] / b[i] (see roundRatios). */
export function medianRatio(a, b) {
  return median(roundRatios(a, b));
}

/**
 * A 95 % interval for the median of `values`: the median recomputed over 2,000 resamplings of
 * them (a bootstrap; the generator is seeded, so a run's interval is reproducible from its
 * samples). Returns [low, high].
 */
export function medianInterval(values) {
  let seed = 1;
  const next = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const medians = [];
  for (let k = 0; k < 2000; k++) medians.push(median(values.map(() => values[Math.floor(next() * values.length)])));
  medians.sort((x, y) => x - y);
  return [medians[49], medians[1949]];
}

/** A 95 % interval for medianRatio(a, b), by bootstrap over the rounds (medianInterval). */
export function medianRatioInterval(a, b) {
  return medianInterval(roundRatios(a, b));
}

/** a[i] − b[i] for every round (two variants' batches of the same round compared, as roundRatios does). */
export function roundDifferences(a, b) {
  return a.map((x, i) => x - b[i]);
}

/** An interval [low, high] widened by `by` on each side (the offset of a baseline run again in other processes, as 1b, 1c and 6 judge their targets). */
export const widened = ([low, high], by) => [low - by, high + by];

/** A value against a ceiling, judged by an interval [low, high] around it: met below it, missed above it, not resolved across it. */
export const intervalVerdict = ([low, high], ceiling, fmt = fmtRatio) => (high <= ceiling ? 'met' : low > ceiling ? '**missed**' : `not resolved (${fmt(low)}–${fmt(high)})`);

function collect() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

async function timeBatch(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / n;
}

function timeBatchSync(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / n;
}

/**
 * Runs every variant `rounds` times, one batch of `batch` operations each per round, in
 * rotating order. `variant.fn(i)` is awaited unless `sync` is set. `variant.between()` runs
 * (untimed) after each of its batches, e.g. to prune a store. `forceGc` runs a full garbage
 * collection before each batch (when node runs with --expose-gc); isolated variants switch it
 * off, because a forced full GC also discards optimised code whose objects it collected.
 * Returns, per variant, the median ns per operation and the per-round samples.
 */
export async function compare(variants, { rounds = 15, batch = 2000, warmup = 1, sync = false, forceGc = true } = {}) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let r = -warmup; r < rounds; r++) {
    const offset = ((r % variants.length) + variants.length) % variants.length;
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + offset) % variants.length];
      if (forceGc) collect();
      const ns = sync ? timeBatchSync(v.fn, v.batch ?? batch) : await timeBatch(v.fn, v.batch ?? batch);
      if (v.between !== undefined) await v.between();
      if (r >= 0) samples.get(v.name).push(ns);
    }
  }
  const out = {};
  for (const [name, list] of samples) out[name] = { medianNs: median(list), samples: list };
  return out;
}

/** Formats nanoseconds per operation for humans. */
export function fmtNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function fmtRatio(x) {
  return `${x.toFixed(2)}×`;
}
