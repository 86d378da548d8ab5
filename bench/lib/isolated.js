// Variants measured each in a process of its own, so that no variant's garbage, retained
// objects or JIT state (optimised code is discarded when the objects it relied on are
// collected) lands on another's clock. The processes take turns, one batch each per round in
// rotating order, so that the machine's speed (which drifts by 2x over minutes on this shared
// host) is about the same for the batches compared in one round. (Worker threads would isolate
// heaps too, but run this code about 2x slower than a main thread, so they are not what a
// service runs.)
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';

const processFile = join(dirname(fileURLToPath(import.meta.url)), 'variantProcess.js');

function startProcess(modulePath, name, args) {
  const child = fork(processFile, [modulePath, name, JSON.stringify(args)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

/**
 * Runs the variants of `modulePath` (its `variant(name, args)` export) in one process each:
 * `warmup` + `rounds` rounds of one batch of `batch` operations per variant, in rotating
 * order. Returns, per variant, the median ns per operation, the samples, and what its
 * `report()` returned; with `baseline`, also `ratio`: the median over rounds of the
 * variant's batch time over the baseline's batch time in the same round.
 */
export async function runIsolated(modulePath, names, { rounds = 15, warmup = 2, batch = 2000, batches = {}, args = {}, baseline } = {}) {
  const workers = new Map();
  try {
    for (const name of names) workers.set(name, startProcess(modulePath, name, args));
    for (const w of workers.values()) await w.ready;
    const samples = new Map(names.map((n) => [n, []]));
    for (let r = -warmup; r < rounds; r++) {
      const offset = ((r % names.length) + names.length) % names.length;
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + offset) % names.length];
        const { ns } = await workers.get(name).ask({ type: 'batch', batch: batches[name] ?? batch });
        if (r >= 0) samples.get(name).push(ns);
      }
    }
    const out = {};
    for (const name of names) {
      const { extra } = await workers.get(name).ask({ type: 'finish' });
      const list = samples.get(name);
      out[name] = { medianNs: median(list), samples: list, extra };
      if (baseline !== undefined) {
        const base = samples.get(baseline);
        out[name].ratio = median(list.map((ns, i) => ns / base[i]));
      }
    }
    return out;
  } finally {
    for (const w of workers.values()) w.terminate();
  }
}
