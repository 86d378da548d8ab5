import { describe, expect, it } from 'vitest';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import { sampleValue, seriesOf } from './promText.js';

const NAME = 'tollgate_reservation_shortfall_usd_total';
const GPT_4O = { provider: 'openai', model: 'gpt-4o' };

describe('tollgate_reservation_shortfall_usd_total{provider,model}', () => {
  it('is a counter with no series before the first shortfall', async () => {
    const text = await new TollgateMetrics().metricsText();
    expect(text).toContain(`# TYPE ${NAME} counter`);
    expect(seriesOf(text, NAME)).toEqual([]);
  });

  it('adds nano-USD per provider and model and serves USD = nanos / 1e9', async () => {
    const metrics = new TollgateMetrics();
    metrics.recordShortfall('openai', 'gpt-4o', 1_500_000_000);
    metrics.recordShortfall('openai', 'gpt-4o', 1);
    metrics.recordShortfall('anthropic', 'claude-sonnet-4', 2_500);
    const text = await metrics.metricsText();
    expect(sampleValue(text, NAME, GPT_4O)).toBe(1.500000001);
    expect(sampleValue(text, NAME, { provider: 'anthropic', model: 'claude-sonnet-4' })).toBe(0.0000025);
    expect(seriesOf(text, NAME)).toHaveLength(2);
  });

  it('sums exactly: ten shortfalls of 100,000,001 nanos are 1.00000001 USD', async () => {
    const metrics = new TollgateMetrics();
    for (let i = 0; i < 10; i += 1) metrics.recordShortfall('openai', 'gpt-4o', 100_000_001);
    const text = await metrics.metricsText();
    // Adding 0.100000001 ten times as floats would give 1.0000000099999998.
    expect(sampleValue(text, NAME, GPT_4O)).toBe(1.00000001);
  });

  it('ignores amounts that are not a shortfall (zero, negative, not finite)', async () => {
    const metrics = new TollgateMetrics();
    metrics.recordShortfall('openai', 'gpt-4o', 0);
    metrics.recordShortfall('openai', 'gpt-4o', -5);
    metrics.recordShortfall('openai', 'gpt-4o', Number.NaN);
    metrics.recordShortfall('openai', 'gpt-4o', Number.POSITIVE_INFINITY);
    expect(seriesOf(await metrics.metricsText(), NAME)).toEqual([]);
    metrics.recordShortfall('openai', 'gpt-4o', 7);
    expect(sampleValue(await metrics.metricsText(), NAME, GPT_4O)).toBe(0.000000007);
  });
});
