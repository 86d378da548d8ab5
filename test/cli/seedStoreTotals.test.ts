import { describe, expect, it } from 'vitest';
import { seedStoreTotals } from '../../src/cli/seedStoreTotals.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { usageRecord } from '../helpers/usageRecord.js';

/** The sample lines of `name` in the exposition, sorted. */
async function samples(metrics: TollgateMetrics, name: string): Promise<string[]> {
  return (await metrics.metricsText())
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .sort();
}

describe('seedStoreTotals', () => {
  it('starts the cost and token series from the store totals per provider and model, without counting calls', async () => {
    const ledger = new MemoryLedger();
    await ledger.settle(usageRecord({ id: 'a', time: 1, inputTokens: 100, outputTokens: 10, costNanos: 2_000_000 }), []);
    await ledger.settle(usageRecord({ id: 'b', time: 2, inputTokens: 50, outputTokens: 5, costNanos: 1_000_000 }), []);
    await ledger.settle(usageRecord({ id: 'c', time: 3, provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 10, costNanos: 500_000 }), []);
    await ledger.settle(usageRecord({ id: 'tool', time: 4, provider: '', model: '', operation: 'execute_tool' }), []);
    const metrics = new TollgateMetrics();

    await seedStoreTotals(ledger, metrics);

    expect(await samples(metrics, 'cost_total_usd')).toEqual(['cost_total_usd 0.0035']);
    expect(await samples(metrics, 'cost_total_per_model_usd')).toEqual([
      'cost_total_per_model_usd{provider="anthropic",model="claude-sonnet-4"} 0.0005',
      'cost_total_per_model_usd{provider="openai",model="gpt-4o"} 0.003',
    ]);
    expect(await samples(metrics, 'tokens_input_total')).toEqual([
      'tokens_input_total{provider="anthropic",model="claude-sonnet-4"} 10',
      'tokens_input_total{provider="openai",model="gpt-4o"} 150',
    ]);
    expect(await samples(metrics, 'llm_calls_total')).toEqual([]);
    expect(await samples(metrics, 'tool_calls_total')).toEqual([]);
  });

  it('adds later calls on top of the seed, once', async () => {
    const ledger = new MemoryLedger();
    await ledger.settle(usageRecord({ id: 'a', time: 1, costNanos: 2_000_000 }), []);
    const metrics = new TollgateMetrics();
    await seedStoreTotals(ledger, metrics);

    const later = usageRecord({ id: 'b', time: 2, costNanos: 1_000_000 });
    await ledger.settle(later, []);
    metrics.recordUsage(later);

    expect(await samples(metrics, 'cost_total_usd')).toEqual(['cost_total_usd 0.003']);
    expect(await samples(metrics, 'llm_calls_total')).toEqual(['llm_calls_total{provider="openai",model="gpt-4o",status="ok"} 1']);
  });

  it('adds nothing for an empty store', async () => {
    const metrics = new TollgateMetrics();
    await seedStoreTotals(new MemoryLedger(), metrics);
    expect(await samples(metrics, 'cost_total_usd')).toEqual(['cost_total_usd 0']);
    expect(await samples(metrics, 'cost_total_per_model_usd')).toEqual([]);
  });
});
