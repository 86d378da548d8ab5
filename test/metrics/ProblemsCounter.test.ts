import { describe, expect, it } from 'vitest';
import { Problems } from '../../src/core/Problems.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { sampleValue, seriesOf } from './promText.js';

const KINDS = [
  'store',
  'unpriced_model',
  'reservation_shortfall',
  'fetch_guard',
  'enforcement_bypassed',
  'unbudgeted_span',
  'usage_estimated',
  'telemetry',
  'internal',
];

describe('tollgate_problems_total{kind}', () => {
  it('is absent until a source is set', async () => {
    const text = await new TollgateMetrics().metricsText();
    expect(text).toContain('# TYPE tollgate_problems_total counter');
    expect(seriesOf(text, 'tollgate_problems_total')).toEqual([]);
  });

  it('reads Problems.counts() at every scrape, with every kind at 0 until it occurs', async () => {
    const problems = new Problems({ quiet: true });
    const metrics = new TollgateMetrics();
    metrics.setProblemSource(() => problems.counts());

    let text = await metrics.metricsText();
    expect(seriesOf(text, 'tollgate_problems_total').sort()).toEqual(KINDS.map((k) => `kind="${k}"`).sort());
    for (const kind of KINDS) expect(sampleValue(text, 'tollgate_problems_total', { kind })).toBe(0);

    problems.report('store', 'the store failed a write');
    problems.report('store', 'the store failed a write');
    problems.report('unpriced_model', 'no price for "my-model"');
    text = await metrics.metricsText();
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'store' })).toBe(2);
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'unpriced_model' })).toBe(1);
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'internal' })).toBe(0);

    problems.report('store', 'the store failed a read');
    text = await metrics.metricsText();
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'store' })).toBe(3);
  });

  it('shows a kind the source has beyond the known ones, and skips counts that are not positive numbers', async () => {
    const metrics = new TollgateMetrics();
    metrics.setProblemSource(() => new Map([['new_kind', 4], ['store', Number.NaN], ['telemetry', -1]]));
    const text = await metrics.metricsText();
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'new_kind' })).toBe(4);
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'store' })).toBe(0);
    expect(sampleValue(text, 'tollgate_problems_total', { kind: 'telemetry' })).toBe(0);
  });

  it('answers the scrape when the source throws, leaving the counter out and counting the failure', async () => {
    const metrics = new TollgateMetrics();
    metrics.setProblemSource(() => {
      throw new Error('broken source');
    });
    const text = await metrics.metricsText();
    expect(seriesOf(text, 'tollgate_problems_total')).toEqual([]);

    metrics.setProblemSource(undefined);
    const after = await metrics.metricsText();
    expect(seriesOf(after, 'tollgate_problems_total')).toEqual([]);
    expect(sampleValue(after, 'tollgate_errors_total', { component: 'metrics' })).toBe(1); // one failed read
  });

  it('takes the prefix', async () => {
    const metrics = new TollgateMetrics({ prefix: 'svc_' });
    metrics.setProblemSource(() => new Map([['store', 1]]));
    const text = await metrics.metricsText();
    expect(sampleValue(text, 'svc_tollgate_problems_total', { kind: 'store' })).toBe(1);
  });
});
