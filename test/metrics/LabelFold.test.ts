import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { LabelFold } from '../../src/metrics/LabelFold.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { TOOL_OPERATION, METADATA_TOOL } from '../../src/metrics/UsageKinds.js';
import { usageRecord } from '../helpers/usageRecord.js';
import { sampleValue, seriesOf } from './promText.js';

let nextId = 0;
function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  nextId += 1;
  return usageRecord({ id: `r${nextId}`, time: 1_795_000_000_000, inputTokens: 10, outputTokens: 5, costNanos: 1_000, ...overrides });
}

describe('LabelFold', () => {
  it('keeps the first cap values of each label, folds later new ones into _other and counts each folded observation', () => {
    let folded = 0;
    const fold = new LabelFold(2, () => (folded += 1));
    expect(fold.values({ model: 'a', provider: 'p' })).toEqual({ model: 'a', provider: 'p' });
    expect(fold.values({ model: 'b', provider: 'p' })).toEqual({ model: 'b', provider: 'p' });
    expect(fold.values({ model: 'c', provider: 'p' })).toEqual({ model: '_other', provider: 'p' });
    expect(fold.values({ model: 'a', provider: 'q' })).toEqual({ model: 'a', provider: 'q' });
    expect(fold.values({ model: 'd', provider: 'r' })).toEqual({ model: '_other', provider: '_other' });
    expect(folded).toBe(2);
  });
});

describe('TollgateMetrics label cardinality', () => {
  it('50,000 distinct model names: /metrics stays under 2 MB and 501 models per metric, the rest counted as folded', async () => {
    const metrics = new TollgateMetrics();
    const models = 50_000;
    for (let i = 0; i < models; i++) metrics.recordUsage(usage({ model: `model-${i}` }), 0.1);
    // Names seen before the cap keep their own series.
    metrics.recordUsage(usage({ model: 'model-0' }), 0.1);
    const text = await metrics.metricsText();
    expect(Buffer.byteLength(text)).toBeLessThan(2_000_000);
    for (const name of ['tokens_input_total', 'tokens_output_total', 'llm_calls_total', 'cost_total_per_model_usd']) {
      expect(seriesOf(text, name)).toHaveLength(501);
    }
    expect(sampleValue(text, 'llm_calls_total', { provider: 'openai', model: 'model-0', status: 'ok' })).toBe(2);
    expect(sampleValue(text, 'llm_calls_total', { provider: 'openai', model: '_other', status: 'ok' })).toBe(models - 500);
    expect(sampleValue(text, 'tokens_input_total', { provider: 'openai', model: '_other' })).toBe((models - 500) * 10);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'model_series' })).toBe(models - 500);
    expect(sampleValue(text, 'cost_total_usd')).toBeCloseTo((models + 1) * 1e-6, 9);
  });

  it('tool names and shortfall series are bounded too; labelValueCap sets the cap', async () => {
    const metrics = new TollgateMetrics({ labelValueCap: 3 });
    for (let i = 0; i < 10; i++) {
      metrics.recordUsage(usage({ operation: TOOL_OPERATION, inputTokens: 0, outputTokens: 0, costNanos: 0, metadata: { [METADATA_TOOL]: `tool-${i}` } }));
      metrics.recordShortfall('openai', `model-${i}`, 1_000);
    }
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'tool_calls_total')).toHaveLength(4);
    expect(sampleValue(text, 'tool_calls_total', { tool: '_other', status: 'ok' })).toBe(7);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'tool_calls_total' })).toBe(7);
    expect(seriesOf(text, 'tollgate_reservation_shortfall_usd_total')).toHaveLength(4);
    expect(sampleValue(text, 'tollgate_reservation_shortfall_usd_total', { provider: 'openai', model: '_other' })).toBeCloseTo(7e-6, 12);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'tollgate_reservation_shortfall_usd_total' })).toBe(7);
  });

  it('budget_remaining_usd keys past the cap share _other, showing the least USD left among them', async () => {
    const metrics = new TollgateMetrics({ labelValueCap: 2 });
    const remaining = [0.5, 0.4, 0.3, 0.1, 0.2];
    metrics.setBudgetSource(() =>
      remaining.map((usd, i) => ({ budget: { id: 'per-task', scope: 'task' }, key: `T-${i}`, spentUsd: 0, reservedUsd: 0, limitUsd: 1, remainingUsd: usd })),
    );
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'budget_remaining_usd').sort()).toEqual([
      'budget="per-task",key="T-0",scope="task"',
      'budget="per-task",key="T-1",scope="task"',
      'budget="per-task",key="_other",scope="task"',
    ]);
    expect(sampleValue(text, 'budget_remaining_usd', { budget: 'per-task', scope: 'task', key: '_other' })).toBe(0.1);
    // The gauge is folded while it is collected, so a scrape may show the folded count of the scrapes before it: 3 per scrape.
    const later = await metrics.metricsText();
    expect([3, 6]).toContain(sampleValue(later, 'tollgate_metric_labels_folded_total', { metric: 'budget_remaining_usd' }));
  });

  it('tollgate_unpriced_calls_total is bounded like the other provider/model metrics', async () => {
    const metrics = new TollgateMetrics({ labelValueCap: 3 });
    for (let i = 0; i < 10; i++) metrics.recordUnpriced('openai', `typo-${i}`, ['model']);
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'tollgate_unpriced_calls_total')).toHaveLength(4);
    expect(sampleValue(text, 'tollgate_unpriced_calls_total', { provider: 'openai', model: '_other' })).toBe(7);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'tollgate_unpriced_calls_total' })).toBe(7);
    expect(metrics.unpricedCalls()[0]).toEqual({ provider: 'openai', model: '_other', calls: 7, units: [{ unit: 'model', calls: 7 }] });
  });

  it('attribution values are bounded per dimension: one dimension past the cap folds neither the others nor the model series', async () => {
    const metrics = new TollgateMetrics({ labelValueCap: 3 });
    for (let i = 0; i < 10; i++) metrics.recordUsage(usage({ user: `user-${i}`, team: 'search', tags: ['batch', `run-${i}`], costNanos: 2_000_000 }));
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'attribution_calls_total').filter((s) => s.includes('dimension="user"'))).toHaveLength(4);
    expect(sampleValue(text, 'attribution_calls_total', { dimension: 'user', value: '_other' })).toBe(7);
    expect(sampleValue(text, 'attribution_cost_usd_total', { dimension: 'user', value: 'user-0' })).toBeCloseTo(0.002, 9);
    expect(sampleValue(text, 'attribution_cost_usd_total', { dimension: 'team', value: 'search' })).toBeCloseTo(0.02, 9);
    expect(sampleValue(text, 'attribution_calls_total', { dimension: 'tag', value: 'batch' })).toBe(10);
    expect(sampleValue(text, 'attribution_calls_total', { dimension: 'tag', value: '_other' })).toBe(8);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'attribution_user' })).toBe(7);
    expect(sampleValue(text, 'tollgate_metric_labels_folded_total', { metric: 'attribution_tag' })).toBe(8);
    expect(sampleValue(text, 'llm_calls_total', { provider: 'openai', model: 'gpt-4o', status: 'ok' })).toBe(10);
  });

  it('rejects a labelValueCap that is not a positive integer, naming it', () => {
    expect(() => new TollgateMetrics({ labelValueCap: 0 })).toThrow('labelValueCap');
  });
});
