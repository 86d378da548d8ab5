// Benchmark 6: admission cost against the number of budgets. tollgate.llm (memory store) with
// one daily deny budget (the baseline, as in 1a) vs the same budget plus 1, 1,000 and 100,000
// per-task budgets that each have a `key` (one budget per task id). Every call runs as one of
// 1,000,000 distinct task ids (a fixed stride through them, so consecutive calls have different
// ids); the keyed budgets' ids are spread evenly over that range, so a call hits a keyed budget
// with probability N / 1,000,000 (10 % of calls with 100,000 budgets: those reserve and settle
// a second counter). Before timing, every process makes the same calls: one as each of the
// WARM_IDS ids the 100,000 keyed budgets are for (each id the smaller variants key is among
// them), so the store holds a counter for every keyed budget and every process holds the same
// history of calls (day rollups per task id): the variants differ only in their budgets. Each
// variant runs in COPIES processes of its own (lib/isolated.js), a round's batch time the mean of
// theirs; ratio = median of per-round ratios to the baseline. The baseline runs twice, as two
// variants: how far the second comes out from the first is the step's noise floor, by which
// run.js widens each ratio's interval before it judges the 1.2x target (as 1b does).
//   standalone: node --expose-gc bench/budgetsAtScale.js [rounds]   (needs dist/, or TOLLGATE_BENCH_DIST)
import { context } from '@opentelemetry/api';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fromDist } from './lib/dist.js';
import { runIsolated } from './lib/isolated.js';
import { fmtNs, fmtRatio } from './lib/measure.js';
import { BENCH_BUDGETS, makeTollgate, steadyPrune } from './lib/setup.js';

const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
/** Distinct task ids the calls run as. */
export const TASK_IDS = 1_000_000;
/** Coprime with TASK_IDS: call i runs as task (i * STRIDE) mod TASK_IDS, so 1M calls visit every id once. */
const STRIDE = 7_919;
export const BASELINE = 'single budget (daily deny)';
/** The baseline again, in a process of its own: how far apart two processes of one variant come out (6's noise floor, as in 1b). */
export const BASELINE_AGAIN = 'single budget again, in processes of its own';
/** Keyed per-task budget counts, by variant name. */
export const KEYED = { '+ 1 keyed per-task budget': 1, '+ 1,000 keyed per-task budgets': 1_000, '+ 100,000 keyed per-task budgets': 100_000 };
export const NAMES = [BASELINE, BASELINE_AGAIN, ...Object.keys(KEYED)];
/** Rounds of step 6: its batches are short, and the target is judged on an interval over the rounds. */
export const ROUNDS = 40;
/**
 * Processes per variant, a round's batch time the mean of theirs. Four processes of the single
 * budget measured 1.00x, 0.87x, 0.99x and 0.99x the first in one run, and one run's second
 * baseline process 1.31x: with one process a variant, such an offset decided the verdict.
 */
export const COPIES = 2;
export const BATCH = 2000;
/** Ids every variant calls as before timing: those of the largest variant's keyed budgets. */
const WARM_IDS = Math.max(...Object.values(KEYED));

const taskId = (n) => `task-${n}`;

/** Counts and times the collector's pauses in this process: major (mark-compact) and minor (scavenge) alike. */
function watchGc() {
  const gc = { major: 0, majorMs: 0, minor: 0, minorMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        gc.majorMs += e.duration;
      } else if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minor++;
        gc.minorMs += e.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  return gc;
}

/** The heap still in use after a full collection, in MB (the variant processes run without --expose-gc). */
function liveHeapMb() {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
  return Math.round(process.memoryUsage().heapUsed / 1e6);
}

/** One variant, set up in the process that measures it. */
export async function variant(name) {
  const { withAttribution } = await fromDist('src/core/attribution.js');
  const keyed = KEYED[name] ?? 0;
  const spacing = keyed > 0 ? TASK_IDS / keyed : 0;
  const budgets = [...BENCH_BUDGETS];
  for (let k = 0; k < keyed; k++) budgets.push({ id: `task-budget-${k}`, scope: 'task', key: taskId(k * spacing), maxUsd: 1_000_000, onExceed: 'deny' });
  const t = makeTollgate({ budgets });
  const root = context.active();
  const wrapped = (call) => {
    call.setUsage(USAGE);
    return 1;
  };
  const callAs = (n) => context.with(withAttribution(root, 'task', taskId(n)), () => t.tollgate.llm(OPTIONS, wrapped));
  for (let k = 0; k < WARM_IDS; k++) {
    await callAs(k * (TASK_IDS / WARM_IDS));
    if (k % 5_000 === 4_999) await t.tollgate.forceFlush();
  }
  await t.tollgate.forceFlush();
  const gc = watchGc();
  let next = 0;
  return {
    fn: () => {
      const n = next;
      next = (next + STRIDE) % TASK_IDS;
      return callAs(n);
    },
    endBatch: () => t.tollgate.forceFlush(),
    between: steadyPrune(t.tollgate.ledger),
    report: () => ({ openSpans: t.tollgate.spanProcessor.openSpanCount, gc: { ...gc }, heapUsedMb: liveHeapMb() }),
    close: () => t.shutdown(),
  };
}

/** The collector's pauses over the whole run (warm-up and timed batches). */
export const gcLine = (gc) => `GC: ${gc.major} major (${Math.round(gc.majorMs)} ms), ${gc.minor} minor (${Math.round(gc.minorMs)} ms)`;

/** `TOLLGATE_BENCH_ROUNDS` overrides `rounds` (as in 1b and 1c). */
export async function runBudgetsAtScale({ rounds = Number(process.env.TOLLGATE_BENCH_ROUNDS ?? ROUNDS) } = {}) {
  return runIsolated('budgetsAtScale.js', NAMES, { rounds, warmup: 2, batch: BATCH, baseline: BASELINE, copies: COPIES });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = process.argv[2] !== undefined ? Number(process.argv[2]) : ROUNDS;
  const r = await runBudgetsAtScale({ rounds });
  const lines = [`tollgate.llm, memory store, ${TASK_IDS.toLocaleString('en-US')} task ids, ${rounds} rounds of ${BATCH} calls`];
  for (const name of NAMES) lines.push(`${name}: ${fmtNs(r[name].medianNs)} a call, ${fmtRatio(r[name].ratio)} the single budget, heap ${r[name].extra.heapUsedMb} MB live at the end, ${gcLine(r[name].extra.gc)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
