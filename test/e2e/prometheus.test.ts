import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/EventBus.js';
import type { Nanos } from '../../src/core/money.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { BudgetStatusView } from '../../src/metrics/MetricSources.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { startServer } from '../../src/server/startServer.js';
import type { RunningServer } from '../../src/server/startServer.js';
import { utcDayStart } from '../../src/time/utcWindows.js';
import { TraceRing } from '../../src/traces/TraceRing.js';
import { prometheusAvailable, startPrometheus } from '../helpers/prometheus.js';
import type { PrometheusInstance, PromSample } from '../helpers/prometheus.js';

/**
 * A real Prometheus scrapes a tollgate server every second while a simulated workload
 * settles calls into a real (memory) ledger and the metrics. The budget gauges are read
 * from the ledger at scrape time, as in production.
 */

const NANOS_PER_USD = 1_000_000_000;
const DAILY_LIMIT_NANOS: Nanos = 1_000_000_000; // $1.00
/** nano-USD per token: gpt-4o $2.50 / $10 per M, gpt-4o-mini $0.15 / $0.60 per M, embeddings $0.02 per M. */
const PRICES: Record<string, { input: number; output: number }> = {
  'gpt-4o': { input: 2500, output: 10_000 },
  'gpt-4o-mini': { input: 150, output: 600 },
  'text-embedding-3-small': { input: 20, output: 0 },
};

let ledger: MemoryLedger;
let metrics: TollgateMetrics;
let server: RunningServer;
let prometheus: PrometheusInstance;
let seq = 0;

async function dailySpentNanos(now: number): Promise<Nanos> {
  const groups = await ledger.usage({ by: 'day', since: utcDayStart(now) });
  return groups.reduce((sum, g) => sum + g.costNanos, 0);
}

/** One simulated call, settled the way the engine settles it: ledger first, then the Prometheus sink. */
async function settle(model: string, operation: string, inputTokens: number, outputTokens: number): Promise<UsageRecord> {
  const price = PRICES[model];
  if (price === undefined) throw new Error(`no price for ${model}`);
  seq += 1;
  const record: UsageRecord = {
    id: `call-${seq}`,
    time: Date.now(),
    task: `T-${seq % 3}`,
    provider: 'openai',
    model,
    operation,
    inputTokens,
    outputTokens,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: inputTokens * price.input + outputTokens * price.output,
    status: 'ok',
  };
  await ledger.settle(record, []);
  metrics.recordUsage(record, 0.05 + (seq % 10) / 10);
  return record;
}

/** One batch of the workload: 10 gpt-4o chats, 5 gpt-4o-mini chats, 2 embeddings. */
async function runBatch(batch: number): Promise<void> {
  for (let i = 0; i < 10; i += 1) await settle('gpt-4o', 'chat', 1000 + 10 * batch + i, 100 + i);
  for (let i = 0; i < 5; i += 1) await settle('gpt-4o-mini', 'chat', 400 + i, 50);
  for (let i = 0; i < 2; i += 1) await settle('text-embedding-3-small', 'embeddings', 256, 0);
}

function only(samples: PromSample[]): number | undefined {
  return samples.length === 1 ? samples[0]?.value : undefined;
}

beforeAll(async () => {
  if (!prometheusAvailable()) throw new Error('the prometheus binary is not on PATH: apt-get install -y prometheus');
  ledger = new MemoryLedger();
  metrics = new TollgateMetrics();
  metrics.setBudgetSource(async (): Promise<BudgetStatusView[]> => {
    const spent = await dailySpentNanos(Date.now());
    return [
      {
        budget: { id: 'daily', scope: 'daily' },
        key: 'global',
        spentUsd: spent / NANOS_PER_USD,
        reservedUsd: 0,
        limitUsd: DAILY_LIMIT_NANOS / NANOS_PER_USD,
        remainingUsd: (DAILY_LIMIT_NANOS - spent) / NANOS_PER_USD,
      },
    ];
  });
  metrics.setDailySpendSource(async () => (await dailySpentNanos(Date.now())) / NANOS_PER_USD);
  server = await startServer(
    {
      metrics,
      budgets: { list: () => [], add: () => undefined, remove: () => false, status: () => [] },
      usage: (query) => ledger.usage(query),
      traces: new TraceRing(),
      events: new EventBus(),
      health: () => ({ ok: true, checks: {} }),
      status: () => ({}),
    },
    { host: '127.0.0.1', port: 0 },
  );
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${server.port}`], scrapeIntervalSeconds: 1 });
});

afterAll(async () => {
  await prometheus?.stop();
  await server?.close();
  await ledger?.close();
});

describe('Prometheus scraping tollgate', () => {
  it('sees the exact token, cost and remaining-budget values of the workload', async () => {
    // The target is up and scraped before the workload starts (the daily budget is untouched).
    await prometheus.waitFor('daily_cost_remaining_usd', (s) => only(s) === 1);
    const [target] = await prometheus.targets();
    expect(target).toEqual({ scrapeUrl: `http://127.0.0.1:${server.port}/metrics`, health: 'up', lastError: '' });

    // Three batches; after each one Prometheus must have scraped its cumulative input tokens.
    let gpt4oInput = 0;
    for (let batch = 0; batch < 3; batch += 1) {
      await runBatch(batch);
      for (let i = 0; i < 10; i += 1) gpt4oInput += 1000 + 10 * batch + i;
      const expected = gpt4oInput;
      await prometheus.waitFor('tokens_input_total{provider="openai",model="gpt-4o"}', (s) => only(s) === expected);
    }

    // Expected values, computed from the workload in exact nanos.
    const byModel = await ledger.usage({ by: 'model' });
    const costNanos = (model: string): Nanos => byModel.find((g) => g.key === model)?.costNanos ?? 0;
    // gpt-4o: input Σ(1000..1029) = 30_435 tokens × 2500 + output 3 × Σ(100..109) = 3135 tokens × 10_000
    expect(gpt4oInput).toBe(30_435);
    expect(costNanos('gpt-4o')).toBe(30_435 * 2500 + 3135 * 10_000);
    const totalNanos = ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'].reduce((s, m) => s + costNanos(m), 0);
    // gpt-4o-mini: 3 × (2010 in × 150 + 250 out × 600); embeddings: 6 × 256 × 20
    expect(totalNanos).toBe(30_435 * 2500 + 3135 * 10_000 + 3 * (2010 * 150 + 250 * 600) + 6 * 256 * 20);

    const remaining = (DAILY_LIMIT_NANOS - totalNanos) / NANOS_PER_USD;
    await prometheus.waitFor('daily_cost_remaining_usd', (s) => only(s) === remaining);

    expect(await prometheus.query('tokens_input_total')).toEqual(
      expect.arrayContaining([
        { metric: expect.objectContaining({ __name__: 'tokens_input_total', provider: 'openai', model: 'gpt-4o', job: 'tollgate' }), value: 30_435 },
        { metric: expect.objectContaining({ model: 'gpt-4o-mini' }), value: 3 * 2010 },
        { metric: expect.objectContaining({ model: 'text-embedding-3-small' }), value: 6 * 256 },
      ]),
    );
    expect(only(await prometheus.query('cost_total_per_model_usd{provider="openai",model="gpt-4o"}'))).toBe(
      (30_435 * 2500 + 3135 * 10_000) / NANOS_PER_USD,
    );
    expect(only(await prometheus.query('cost_total_per_model_usd{model="gpt-4o-mini"}'))).toBe(3 * (2010 * 150 + 250 * 600) / NANOS_PER_USD);
    expect(only(await prometheus.query('cost_total_usd'))).toBe(totalNanos / NANOS_PER_USD);
    expect(only(await prometheus.query('daily_cost_remaining_usd'))).toBe(remaining);
    expect(only(await prometheus.query('daily_cost_usd'))).toBe(totalNanos / NANOS_PER_USD);
    expect(only(await prometheus.query('sum(llm_calls_total{status="ok"})'))).toBe(45);
    expect(only(await prometheus.query('count(task_cost_total_usd)'))).toBe(3);
  });
});
