// Runs every benchmark and writes bench/results.md. Usage: `npm run bench`
// (= `npm run build && node --expose-gc bench/run.js`). Needs the built package in dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtNs, fmtRatio } from './lib/measure.js';
import { runOpenAIClient } from './openaiClient.js';
import { runOverhead } from './overhead.js';
import { runPricing } from './pricing.js';
import { runScrape } from './scrape.js';
import { runStoreThroughput, runThroughput } from './throughput.js';

const here = dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;
const rows = [];
const notes = [];
const startedAt = new Date();

function row(bench, variant, value, baseline, ratio, target, met) {
  rows.push({ bench, variant, value, baseline, ratio, target, met });
}
const verdict = (ok) => (ok ? 'met' : '**missed**');
const log = (msg) => process.stderr.write(`${msg}\n`);

async function step(name, fn) {
  log(`bench: ${name}...`);
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    row(name, 'FAILED', String(err instanceof Error ? err.message : err), '', '', '', 'error');
    log(err instanceof Error ? err.stack : String(err));
  }
  log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await step('1a per-call overhead', async () => {
  const { results: r, spanAttributeCount, openSpansAfter } = await runOverhead();
  const call = r['bare call'].medianNs;
  const span = r['bare OTel span'].medianNs;
  const tg = r['tollgate.llm'].medianNs;
  row('1a per-call overhead', 'bare function call (awaited)', fmtNs(call), '', '', '', '');
  row('1a per-call overhead', `bare OTel span, same ${spanAttributeCount} attributes, no-op processor`, fmtNs(span), 'bare call', fmtRatio(span / call), '', '');
  const ratio = tg / span;
  row('1a per-call overhead', 'tollgate.llm (memory store, 1 daily budget)', fmtNs(tg), 'bare OTel span', fmtRatio(ratio), '≤ 1.5×', verdict(ratio <= 1.5));
  notes.push(`1a: spans left open after the run: ${openSpansAfter}. The tollgate span ends with ${spanAttributeCount} attributes (the baseline span is given the same ones).`);
  if (ratio > 1.5) notes.push(`1a: missed by ${fmtRatio(ratio / 1.5)} (${fmtNs(tg - 1.5 * span)} per call over the target).`);
});

await step('1b real openai client', async () => {
  const { results: r } = await runOpenAIClient();
  const none = r['openai, no instrumentation'].medianNs;
  const contrib = r['openai + @opentelemetry/instrumentation-openai'].medianNs;
  const tg = r['openai + tollgate instrumentOpenAI'].medianNs;
  row('1b openai chat.completions.create', 'no instrumentation', fmtNs(none), '', '', '', '');
  row('1b openai chat.completions.create', '@opentelemetry/instrumentation-openai', fmtNs(contrib), 'no instrumentation', fmtRatio(contrib / none), '', '');
  const ratio = tg / contrib;
  row('1b openai chat.completions.create', 'tollgate instrumentOpenAI (memory store)', fmtNs(tg), 'instrumentation-openai', fmtRatio(ratio), '≤ 1.1×', verdict(ratio <= 1.1));
  notes.push(`1b: tollgate vs no instrumentation: ${fmtRatio(tg / none)} (${tg >= none ? '+' : '−'}${fmtNs(Math.abs(tg - none))} per call).`);
});

await step('2 processor throughput', async () => {
  const { results: r, checks, redisUnavailable } = await runThroughput();
  const base = r['no-op SpanProcessor (baseline)'];
  row('2 settlements/s', 'spans with a no-op SpanProcessor', `${Math.round(base.perSecond).toLocaleString('en-US')} spans/s`, '', '', '', '');
  for (const [name, v] of Object.entries(r)) {
    if (v === base) continue;
    const isMemory = name.includes('memory');
    row(
      '2 settlements/s',
      name,
      `${Math.round(v.perSecond).toLocaleString('en-US')}/s (${fmtNs(v.nsPerSettlement)} each)`,
      'no-op processor',
      `${fmtRatio(v.nsPerSettlement / base.nsPerSettlement)} time`,
      isMemory ? '≥ 500,000/s' : '',
      isMemory ? verdict(v.perSecond >= 500_000) : '',
    );
    if (isMemory && v.perSecond < 500_000) {
      notes.push(
        `2: memory store missed by ${fmtRatio(500_000 / v.perSecond)}; a bare span with a no-op processor alone runs at ` +
          `${Math.round(base.perSecond).toLocaleString('en-US')}/s here, so 500k/s is out of reach for anything that creates a span per settlement on this machine.`,
      );
    }
  }
  notes.push(`2: open spans after the run per store: ${checks.openSpans.join(', ')}; Redis usage rows counted ${checks.redisCalls ?? 'n/a'} calls.`);
  if (redisUnavailable !== undefined) notes.push(`2: Redis not measured: ${redisUnavailable}`);
});

await step('2b store throughput without spans', async () => {
  const { results: r } = await runStoreThroughput();
  const base = r['baseline: build the records, call nothing'];
  row('2b settlements/s, no spans', 'baseline: build the same records, call nothing', `${Math.round(base.perSecond).toLocaleString('en-US')}/s`, '', '', '', '');
  for (const [name, v] of Object.entries(r)) {
    if (v === base) continue;
    const isStore = name.startsWith('MemoryLedger');
    row(
      '2b settlements/s, no spans',
      name,
      `${Math.round(v.perSecond).toLocaleString('en-US')}/s (${fmtNs(v.nsPerSettlement)} each)`,
      'baseline',
      `${fmtRatio(v.nsPerSettlement / base.nsPerSettlement)} time`,
      isStore ? '≥ 500,000/s (store alone)' : '',
      isStore ? verdict(v.perSecond >= 500_000) : '',
    );
  }
  notes.push('2b: the same settlements without creating spans: what the memory store itself and the budget engine on top of it sustain; benchmark 2 adds the span, pricing, attributes and metrics of each call.');
});

await step('3 /metrics scrape', async () => {
  const { results: r, counts, bytes } = await runScrape();
  const empty = r['empty registry'].medianNs;
  const tasks = r['10,000 task series'].medianNs;
  const models = r['10,000 provider/model pairs'].medianNs;
  row('3 GET /metrics (HTTP, 127.0.0.1)', `empty registry (${counts.empty} series)`, fmtNs(empty), '', '', '', '');
  row('3 GET /metrics (HTTP, 127.0.0.1)', `10,000 task series (${counts.tasks} series, ${(bytes.tasks / MB).toFixed(1)} MB)`, fmtNs(tasks), 'empty', fmtRatio(tasks / empty), '< 50 ms', verdict(tasks < 50e6));
  row('3 GET /metrics (HTTP, 127.0.0.1)', `10,000 provider/model pairs (${counts.models} series, ${(bytes.models / MB).toFixed(1)} MB)`, fmtNs(models), 'empty', fmtRatio(models / empty), '', '');
  if (tasks >= 50e6) notes.push(`3: 10k task series missed by ${fmtNs(tasks - 50e6)} (${fmtRatio(tasks / 50e6)} the target).`);
  notes.push(
    `3: each provider/model pair makes ${Math.round(counts.models / 10_000)} series (calls, input/output tokens, cost, and a 14-bucket duration histogram), so 10k pairs is ${counts.models.toLocaleString('en-US')} series; shown for scale, not against the target.`,
  );
});

await step('4 memory', async () => {
  const runChild = (mode, calls) => {
    const res = spawnSync(process.execPath, ['--expose-gc', join(here, 'memory.js'), mode, String(calls)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (res.status !== 0) throw new Error(`memory.js ${mode} exited ${res.status}: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split('\n').pop());
  };
  const bounded = runChild('bounded', 1_000_000);
  const [p0, p100k, p1m] = bounded.points;
  const growth = p1m.rssBytes - p100k.rssBytes;
  for (const p of bounded.points) {
    row('4 memory, ledger pruned every 10k calls', `after ${p.calls.toLocaleString('en-US')} calls`, `RSS ${(p.rssBytes / MB).toFixed(1)} MB, heap ${(p.heapUsedBytes / MB).toFixed(1)} MB`, '', '', '', '');
  }
  row('4 memory, ledger pruned every 10k calls', 'RSS growth 100k → 1M calls', `${(growth / MB).toFixed(1)} MB (heap ${((p1m.heapUsedBytes - p100k.heapUsedBytes) / MB).toFixed(1)} MB)`, '', '', '< 10 MB', verdict(growth < 10 * MB));
  notes.push(
    `4 (bounded): ${bounded.seconds.toFixed(0)} s for 1M calls under 5,000 rotating task ids; trace ring held ${p1m.traces} traces (cap 200), ` +
      `task_cost_total_usd had ${bounded.taskSeries} series (cap 1,000), open spans ${p1m.openSpans}, records left in the ledger ${bounded.storedRecords}. Heap at 0 calls: ${(p0.heapUsedBytes / MB).toFixed(1)} MB.`,
  );
  const UNBOUNDED = 300_000;
  const unbounded = runChild('unbounded', UNBOUNDED);
  const [u0, u100k, uEnd] = unbounded.points;
  for (const p of unbounded.points) {
    row('4 memory, ledger never pruned', `after ${p.calls.toLocaleString('en-US')} calls`, `RSS ${(p.rssBytes / MB).toFixed(1)} MB, heap ${(p.heapUsedBytes / MB).toFixed(1)} MB`, '', '', '', '');
  }
  const perRecord = (uEnd.heapUsedBytes - u100k.heapUsedBytes) / (UNBOUNDED - 100_000);
  notes.push(
    `4 (unbounded): MemoryLedger keeps every record, its id in the settled set and the per-day rollups until prune() (retention) runs, by design: ` +
      `${perRecord.toFixed(0)} bytes of heap per call between 100k and ${UNBOUNDED.toLocaleString('en-US')} calls (${unbounded.storedRecords.toLocaleString('en-US')} records held), ` +
      `i.e. about ${((perRecord * 900_000) / MB).toFixed(0)} MB from 100k to 1M calls. Heap at 0 calls: ${(u0.heapUsedBytes / MB).toFixed(1)} MB. Run to ${UNBOUNDED.toLocaleString('en-US')} calls only, to keep the whole run short.`,
  );
});

await step('5 price lookup', async () => {
  const { results: r } = await runPricing();
  const cached = r['cost(), cached resolution'].medianNs;
  for (const [name, v] of Object.entries(r)) {
    row('5 PricingCatalog.cost()', name, fmtNs(v.medianNs), v.medianNs === cached ? '' : 'cached', v.medianNs === cached ? '' : fmtRatio(v.medianNs / cached), '', '');
  }
});

const cpus = os.cpus();
const lines = [
  '# tollgate benchmarks',
  '',
  `- Date: ${startedAt.toISOString()}`,
  `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB memory, ${os.platform()} ${os.release()}; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
  `- Node ${process.version}`,
  '- Command: `npm run bench` (= `npm run build && node --expose-gc bench/run.js`)',
  `- Duration: ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`,
  '',
  'Every figure is a median over rounds in which the variants of one benchmark run interleaved (the order rotates each round,',
  '`global.gc()` before every batch, untimed), and every ratio compares two medians of the same run.',
  '',
  '| benchmark | variant | median | baseline | ratio | target | result |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.bench} | ${r.variant} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met} |`),
  '',
  '## Notes',
  '',
  ...notes.map((n) => `- ${n}`),
  '',
];
const file = join(here, 'results.md');
// Hand-written analysis (what was changed for speed, why a target is missed) follows the measured table.
const analysisFile = join(here, 'analysis.md');
const existing = existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : '';
writeFileSync(file, lines.join('\n') + (existing !== '' ? `\n${existing}` : ''));
log(`bench: wrote ${file}`);
