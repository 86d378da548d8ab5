// Benchmark 4 (runs in its own process: `node --expose-gc bench/memory.js <bounded|unbounded> <calls>`):
// RSS and heap after global.gc() at 0, 100k and 1M calls through tollgate.llm (memory store).
// Calls run under 5,000 rotating task ids, so the task-series cap (1,000) and the trace ring
// (200 traces) are exercised. `bounded` prunes the ledger every 10,000 calls (what retention
// does); `unbounded` never prunes, so MemoryLedger keeps every record (by design).
import { context } from '@opentelemetry/api';
import { fromDistFirst } from './lib/dist.js';
import { makeTollgate } from './lib/setup.js';

const { withAttribution } = await fromDistFirst('src/core/attribution.js', 'src/track/attribution.js');

const mode = process.argv[2] ?? 'bounded';
const total = Number(process.argv[3] ?? 1_000_000);
const CHECKPOINTS = [0, 100_000, total];
const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, inputTokens: 12 };
const USAGE = { input: 12, output: 40 };
const fn = (call) => {
  call.setUsage(USAGE);
  return 1;
};

function snapshot(calls, t) {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return {
    calls,
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    traces: t.tollgate.traces.size,
    openSpans: t.tollgate.spanProcessor.openSpanCount,
  };
}

const t = makeTollgate();
const taskContexts = Array.from({ length: 5000 }, (_, i) => withAttribution(context.active(), 'task', `task-${i}`));
const points = [];
const started = process.hrtime.bigint();
let calls = 0;
for (const target of CHECKPOINTS) {
  while (calls < target) {
    await context.with(taskContexts[calls % taskContexts.length], () => t.tollgate.llm(OPTIONS, fn));
    calls++;
    if (mode === 'bounded' && calls % 10_000 === 0) {
      await t.tollgate.forceFlush();
      await t.tollgate.ledger.prune(Date.now() + 1);
    }
  }
  await t.tollgate.forceFlush();
  points.push(snapshot(calls, t));
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const metricsText = await t.tollgate.metrics.metricsText();
const taskSeries = metricsText.split('\n').filter((l) => /^task_cost_total_usd\{/.test(l)).length;
const stored = (await t.tollgate.ledger.records({ limit: 2_000_000 })).length;
await t.shutdown();
process.stdout.write(JSON.stringify({ mode, total, points, seconds, taskSeries, storedRecords: stored }) + '\n');
