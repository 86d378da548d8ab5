import { register as globalRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import type { BudgetStatusView } from '../../src/metrics/MetricSources.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { usageRecord } from '../helpers/usageRecord.js';
import { sampleValue, seriesOf } from './promText.js';

let nextId = 0;
function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  nextId += 1;
  return usageRecord({ id: `r${nextId}`, time: 1_795_000_000_000, ...overrides });
}

function status(id: string, scope: string, key: string, remainingUsd: number): BudgetStatusView {
  return { budget: { id, scope }, key, spentUsd: 0, reservedUsd: 0, limitUsd: remainingUsd, remainingUsd };
}

const OPENAI_4O = { provider: 'openai', model: 'gpt-4o' };

describe('TollgateMetrics', () => {
  it('counts tokens, calls, cost (nanos → USD at the edge) and durations of LLM calls', async () => {
    const metrics = new TollgateMetrics();
    metrics.recordUsage(
      usage({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 200, reasoningTokens: 50, costNanos: 4_500_000, task: 'T-1' }),
      0.5,
    );
    metrics.recordUsage(usage({ inputTokens: 800, outputTokens: 100, costNanos: 2_000_001, task: 'T-1' }), 3);
    metrics.recordUsage(usage({ status: 'error' }));
    metrics.recordUsage(usage({ provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 10, outputTokens: 5, costNanos: 105_000 }));
    const text = await metrics.metricsText();

    expect(sampleValue(text, 'tokens_input_total', OPENAI_4O)).toBe(2000);
    expect(sampleValue(text, 'tokens_output_total', OPENAI_4O)).toBe(400);
    expect(sampleValue(text, 'tokens_cached_input_total', OPENAI_4O)).toBe(200);
    expect(sampleValue(text, 'tokens_reasoning_total', OPENAI_4O)).toBe(50);
    expect(sampleValue(text, 'cost_total_per_model_usd', OPENAI_4O)).toBe(0.006500001);
    expect(sampleValue(text, 'cost_total_per_model_usd', { provider: 'anthropic', model: 'claude-sonnet-4' })).toBe(0.000105);
    expect(sampleValue(text, 'cost_total_usd')).toBe(0.006605001);
    expect(sampleValue(text, 'task_cost_total_usd', { task_id: 'T-1' })).toBe(0.006500001);
    expect(sampleValue(text, 'llm_calls_total', { ...OPENAI_4O, status: 'ok' })).toBe(2);
    expect(sampleValue(text, 'llm_calls_total', { ...OPENAI_4O, status: 'error' })).toBe(1);
    const hist = { ...OPENAI_4O, operation: 'chat' };
    expect(sampleValue(text, 'llm_request_duration_seconds_count', hist)).toBe(2);
    expect(sampleValue(text, 'llm_request_duration_seconds_sum', hist)).toBe(3.5);
    expect(sampleValue(text, 'llm_request_duration_seconds_bucket', { ...hist, le: '0.64' })).toBe(1);
    expect(sampleValue(text, 'llm_request_duration_seconds_bucket', { ...hist, le: '5.12' })).toBe(2);
  });

  it('routes embeddings, tools, memory operations and contract checks to their counters', async () => {
    const metrics = new TollgateMetrics();
    metrics.recordUsage(usage({ operation: 'embeddings', model: 'text-embedding-3-small', inputTokens: 64, costNanos: 1280 }), 0.1);
    metrics.recordUsage(usage({ operation: 'execute_tool', provider: '', model: '', metadata: { tool: 'search' } }));
    metrics.recordUsage(usage({ operation: 'execute_tool', provider: '', model: '', status: 'error', metadata: { 'gen_ai.tool.name': 'search' } }));
    metrics.recordUsage(usage({ operation: 'memory', provider: '', model: '', metadata: { memoryOperation: 'write' } }));
    metrics.recordUsage(usage({ operation: 'contract', provider: '', model: '', metadata: { contract: 'json-schema' } }));
    metrics.recordUsage(
      usage({ operation: 'contract', provider: '', model: '', metadata: { contract: 'json-schema', contractResult: 'fail' } }),
    );
    const text = await metrics.metricsText();

    const embed = { provider: 'openai', model: 'text-embedding-3-small' };
    expect(sampleValue(text, 'embed_requests_total', { ...embed, status: 'ok' })).toBe(1);
    expect(sampleValue(text, 'tokens_input_total', embed)).toBe(64);
    expect(sampleValue(text, 'tokens_output_total', embed)).toBeUndefined();
    expect(sampleValue(text, 'cost_total_per_model_usd', embed)).toBe(0.00000128);
    expect(sampleValue(text, 'llm_request_duration_seconds_count', { ...embed, operation: 'embeddings' })).toBe(1);
    expect(sampleValue(text, 'tool_calls_total', { tool: 'search', status: 'ok' })).toBe(1);
    expect(sampleValue(text, 'tool_calls_total', { tool: 'search', status: 'error' })).toBe(1);
    expect(sampleValue(text, 'memory_operations_total', { operation: 'write', status: 'ok' })).toBe(1);
    expect(sampleValue(text, 'contract_checks_total', { contract: 'json-schema', result: 'pass' })).toBe(1);
    expect(sampleValue(text, 'contract_checks_total', { contract: 'json-schema', result: 'fail' })).toBe(1);
    // Zero-cost tool/memory/contract records leave no empty provider/model series behind.
    expect(seriesOf(text, 'cost_total_per_model_usd')).toEqual(['model="text-embedding-3-small",provider="openai"']);
    expect(seriesOf(text, 'llm_calls_total')).toEqual([]);
  });

  it('counts budget exceedances and its own errors', async () => {
    const metrics = new TollgateMetrics();
    metrics.recordBudgetExceeded('daily', 'deny');
    metrics.recordBudgetExceeded('daily', 'deny');
    metrics.recordBudgetExceeded('task', 'fallback');
    metrics.recordError('exporter');
    metrics.recordLedgerError();
    metrics.recordLedgerError();
    const text = await metrics.metricsText();
    expect(sampleValue(text, 'budget_exceeded_total', { scope: 'daily', action: 'deny' })).toBe(2);
    expect(sampleValue(text, 'budget_exceeded_total', { scope: 'task', action: 'fallback' })).toBe(1);
    expect(sampleValue(text, 'tollgate_errors_total', { component: 'exporter' })).toBe(1);
    expect(sampleValue(text, 'ledger_errors_total')).toBe(2);
  });

  it('reads budget gauges from the source at scrape time: remaining per budget, tightest daily remaining', async () => {
    const metrics = new TollgateMetrics();
    let statuses = [
      status('daily', 'daily', 'global', 12.5),
      status('daily-gpt4o', 'daily', 'global', 3.25),
      status('task', 'task', 'T-1', 0.4),
    ];
    let calls = 0;
    metrics.setBudgetSource(() => {
      calls += 1;
      return statuses;
    });
    metrics.setDailySpendSource(() => Promise.resolve(7.5));

    let text = await metrics.metricsText();
    expect(calls).toBe(1); // one read per scrape, shared by both gauges
    expect(sampleValue(text, 'daily_cost_remaining_usd')).toBe(3.25);
    expect(sampleValue(text, 'daily_cost_usd')).toBe(7.5);
    expect(sampleValue(text, 'budget_remaining_usd', { budget: 'daily', scope: 'daily', key: 'global' })).toBe(12.5);
    expect(sampleValue(text, 'budget_remaining_usd', { budget: 'daily-gpt4o', scope: 'daily', key: 'global' })).toBe(3.25);
    expect(sampleValue(text, 'budget_remaining_usd', { budget: 'task', scope: 'task', key: 'T-1' })).toBe(0.4);

    statuses = [status('task', 'task', 'T-1', 0.1)];
    text = await metrics.metricsText();
    expect(calls).toBe(2);
    expect(sampleValue(text, 'daily_cost_remaining_usd')).toBeUndefined();
    expect(text).not.toMatch(/^daily_cost_remaining_usd /m);
    expect(seriesOf(text, 'budget_remaining_usd')).toEqual(['budget="task",key="T-1",scope="task"']);
  });

  it('leaves ledger gauges out when no source is set', async () => {
    const text = await new TollgateMetrics().metricsText();
    expect(text).not.toMatch(/^daily_cost_remaining_usd /m);
    expect(text).not.toMatch(/^daily_cost_usd /m);
    expect(seriesOf(text, 'budget_remaining_usd')).toEqual([]);
    expect(sampleValue(text, 'cost_total_usd')).toBe(0);
  });

  it('still answers a scrape when a source fails, counting the failure', async () => {
    const metrics = new TollgateMetrics();
    metrics.setBudgetSource(() => Promise.reject(new Error('redis down')));
    metrics.setDailySpendSource(() => {
      throw new Error('disk gone');
    });
    const text = await metrics.metricsText();
    expect(text).not.toMatch(/^daily_cost_remaining_usd /m);
    expect(text).not.toMatch(/^daily_cost_usd /m);
    await metrics.metricsText();
    metrics.setBudgetSource(undefined);
    metrics.setDailySpendSource(undefined);
    const after = await metrics.metricsText();
    expect(sampleValue(after, 'tollgate_errors_total', { component: 'metrics' })).toBe(4); // 2 sources × 2 scrapes
  });

  it('caps task series: 1,001 tasks → 1,000 series, the first one evicted', async () => {
    const metrics = new TollgateMetrics();
    for (let i = 0; i < 1001; i += 1) metrics.recordUsage(usage({ task: `T-${i}`, costNanos: 1_000_000 }));
    const text = await metrics.metricsText();
    const series = seriesOf(text, 'task_cost_total_usd');
    expect(series).toHaveLength(1000);
    expect(sampleValue(text, 'task_cost_total_usd', { task_id: 'T-0' })).toBeUndefined();
    expect(sampleValue(text, 'task_cost_total_usd', { task_id: 'T-1' })).toBe(0.001);
    expect(sampleValue(text, 'task_cost_total_usd', { task_id: 'T-1000' })).toBe(0.001);
  });

  it('evicts the task updated least recently, so a task still spending keeps its series', async () => {
    const metrics = new TollgateMetrics({ taskSeriesCap: 3 });
    metrics.recordUsage(usage({ task: 'a', costNanos: 1 }));
    metrics.recordUsage(usage({ task: 'b', costNanos: 1 }));
    metrics.recordUsage(usage({ task: 'c', costNanos: 1 }));
    metrics.recordUsage(usage({ task: 'a', costNanos: 2 }));
    metrics.recordUsage(usage({ task: 'd', costNanos: 1 }));
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'task_cost_total_usd').sort()).toEqual(['task_id="a"', 'task_id="c"', 'task_id="d"']);
    expect(sampleValue(text, 'task_cost_total_usd', { task_id: 'a' })).toBe(0.000000003);
  });

  it('uses a registry of its own unless one is given, and applies the prefix', async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const own = new TollgateMetrics();
    expect(own.registry).not.toBe(globalRegistry);
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);

    const registry = new Registry();
    const prefixed = new TollgateMetrics({ registry, prefix: 'tollgate_' });
    prefixed.recordUsage(usage({ inputTokens: 7 }));
    const text = await registry.metrics();
    expect(sampleValue(text, 'tollgate_tokens_input_total', OPENAI_4O)).toBe(7);
    expect(prefixed.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('rejects bad options at construction, naming the field', () => {
    expect(() => new TollgateMetrics({ taskSeriesCap: 0 })).toThrow(/"taskSeriesCap"/);
    expect(() => new TollgateMetrics({ prefix: 'tollgate-' })).toThrow(/"prefix"/);
    expect(() => new TollgateMetrics({ durationBuckets: [1, 0.5] })).toThrow(/"durationBuckets"/);
  });
});
