// Variants measured each in a process of its own, so that no variant's garbage, retained
// objects or JIT state (optimised code is discarded when the objects it relied on are
// collected) lands on another's clock. The processes take turns, one batch each per round in
// rotating order, so that the machine's speed (which drifts by 2x over minutes on this shared
// host) is about the same for the batches compared in one round. (Worker threads would isolate
// heaps too, but run this code about 2x slower than a main thread, so they are not what a
// service runs.)
import { fork, spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mean, median, medianRatio } from './measure.js';

const processFile = join(dirname(fileURLToPath(import.meta.url)), 'variantProcess.js');

/**
 * The CPU cores rounds are pinned to, or [] when pinning is not possible here (no taskset, one
 * core). On this kind of shared VM the cores run the same code at speeds up to 1.7x apart, and
 * a process tends to stay on the core it started on: unpinned, whichever variant lands on the
 * slower core looks slower for the whole run (two runs of the same build gave 1.22x and 1.99x).
 */
export function pinCores() {
  if (process.env.TOLLGATE_BENCH_PIN === '0') return [];
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (n < 2 || spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).status !== 0) return [];
  return Array.from({ length: n }, (_, i) => i);
}

/** Moves every thread of process `pid` (its collector's helpers too) to `core`. */
function pin(pid, core) {
  spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

function startProcess(modulePath, name, args, dist) {
  const env = dist !== undefined ? { ...process.env, TOLLGATE_BENCH_DIST: dist } : process.env;
  const child = fork(processFile, [modulePath, name, JSON.stringify(args)], { execArgv: [], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting;
  let exited = false;
  const failed = (err) => waiting?.reject(err instanceof Error ? err : new Error(String(err)));
  child.on('message', (msg) => {
    const w = waiting;
    waiting = undefined;
    if (msg.error !== undefined) w?.reject(new Error(`${modulePath} ${name}: ${msg.error}`));
    else w?.resolve(msg);
  });
  child.on('error', failed);
  child.on('exit', (code) => {
    exited = true;
    failed(new Error(`${modulePath} ${name}: process exited ${code}`));
  });
  const next = () => new Promise((resolve, reject) => (waiting = { resolve, reject }));
  const ready = next();
  return {
    ready,
    pid: child.pid,
    ask(msg) {
      const reply = next();
      child.send(msg);
      return reply;
    },
    terminate: () => {
      if (!exited) child.kill();
    },
  };
}

/** Long runs say how far they are (stderr): every tenth of the rounds when a run lasts a minute or more, with the time left at this pace. */
function progress(done, rounds, started) {
  const elapsed = Date.now() - started;
  const step = Math.max(1, Math.round(rounds / 10));
  if (done === rounds || done % step !== 0 || (elapsed / done) * rounds < 60_000) return;
  const left = Math.round(((elapsed / done) * (rounds - done)) / 1000);
  process.stderr.write(`  round ${done}/${rounds}, ${Math.round(elapsed / 1000)} s so far, about ${left} s left\n`);
}

/** What a variant's processes answered after one batch each: one process's answer, or of several the mean of each numeric field. */
function meanOf(extras) {
  if (extras.length === 1) return extras[0];
  const out = { ...extras[0] };
  for (const [key, value] of Object.entries(out)) if (typeof value === 'number') out[key] = mean(extras.map((e) => e[key]));
  return out;
}

/**
 * Runs the variants of `modulePath` (its `variant(name, args)` export) in processes of their
 * own (one per variant unless `copies` says more): `warmup` + `rounds` rounds of one batch of
 * `batch` operations per process, in rotating order. Every process of a round runs on the same
 * CPU core, the core changing from round to round (see pinCores). Returns, per variant, the
 * median ns per operation, the samples, what its `afterBatch()` returned for each timed batch
 * (`batchExtras`) and what its `report()` returned; with `baseline`, also `ratio`: the median
 * over rounds of the variant's batch time over the baseline's batch time in the same round. `dists` maps a variant name to the dist/
 * directory its process imports (another build; see dist.js); `args.variantOf` maps a variant
 * name to the name the module knows it by (two builds of one variant). `copies`: processes per
 * variant; a variant's batch time in a round is the mean of its processes' (each process has an
 * offset of its own, which more rounds do not remove but more processes average out), and so is
 * each number its `afterBatch()` answered (meanOf); its `extra` is its first process's.
 */
export async function runIsolated(modulePath, names, { rounds = 15, warmup = 2, batch = 2000, batches = {}, args = {}, baseline, dists = {}, copies = 1 } = {}) {
  /** Every process, as [variant name, worker]; a variant's processes side by side. */
  const workers = [];
  const cores = pinCores();
  try {
    for (const name of names) for (let c = 0; c < copies; c++) workers.push([name, startProcess(modulePath, name, args, dists[name])]);
    for (const [, w] of workers) await w.ready;
    const started = Date.now();
    const samples = new Map(names.map((n) => [n, []]));
    const batchExtras = new Map(names.map((n) => [n, []]));
    for (let r = -warmup; r < rounds; r++) {
      if (cores.length > 0) for (const [, w] of workers) pin(w.pid, cores[((r % cores.length) + cores.length) % cores.length]);
      const offset = ((r % workers.length) + workers.length) % workers.length;
      const times = new Map(names.map((n) => [n, []]));
      const extras = new Map(names.map((n) => [n, []]));
      for (let k = 0; k < workers.length; k++) {
        const [name, w] = workers[(k + offset) % workers.length];
        const { ns, extra } = await w.ask({ type: 'batch', batch: batches[name] ?? batch });
        times.get(name).push(ns);
        if (extra !== undefined) extras.get(name).push(extra);
      }
      if (r < 0) continue;
      progress(r + 1, rounds, started);
      for (const name of names) {
        samples.get(name).push(mean(times.get(name)));
        if (extras.get(name).length > 0) batchExtras.get(name).push(meanOf(extras.get(name)));
      }
    }
    const out = {};
    for (const [index, [name, w]] of workers.entries()) {
      const { extra } = await w.ask({ type: 'finish' });
      if (index % copies !== 0) continue;
      const list = samples.get(name);
      out[name] = { medianNs: median(list), samples: list, batchExtras: batchExtras.get(name), extra };
      if (baseline !== undefined) {
        const base = samples.get(baseline);
        out[name].ratio = medianRatio(list, base);
      }
    }
    return out;
  } finally {
    for (const [, w] of workers) w.terminate();
  }
}
