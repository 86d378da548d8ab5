import { describe, expect, it } from 'vitest';
import { InputCorrection, MAX_MODELS, MAX_PROVIDERS } from '../../src/budget/InputCorrection.js';
import type { InputCorrectionOptions } from '../../src/budget/InputCorrection.js';

/** A correction that has observed calls with these actual/estimated ratios (estimates of 100 tokens). */
function learned(ratios: number[], options: InputCorrectionOptions = {}): InputCorrection {
  const c = new InputCorrection(options);
  for (const r of ratios) c.observe('openai', 'gpt-4o', 100, 100 * r);
  return c;
}

describe('InputCorrection', () => {
  it('is 1 for a model it has not seen under-estimated', () => {
    expect(new InputCorrection().factor('openai', 'gpt-4o')).toBe(1);
  });

  it('learns the ratio of reported to estimated input from one call', () => {
    const c = new InputCorrection();
    c.observe('openai', 'gpt-4o', 100, 5_000);
    expect(c.factor('openai', 'gpt-4o')).toBe(50);
  });

  it('uses the 0.9 quantile of the recent ratios by default', () => {
    expect(learned([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).factor('openai', 'gpt-4o')).toBe(9);
    // Order does not matter; one outlier among twenty does not set the factor.
    expect(learned([40, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]).factor('openai', 'gpt-4o')).toBe(2);
  });

  it('takes the quantile it is given', () => {
    expect(learned([4, 1, 3, 2], { quantile: 0.5 }).factor('openai', 'gpt-4o')).toBe(2);
    expect(learned([4, 1, 3, 2], { quantile: 1 }).factor('openai', 'gpt-4o')).toBe(4);
    expect(learned([4, 2, 3], { quantile: 0 }).factor('openai', 'gpt-4o')).toBe(2);
  });

  it('keeps only the last `window` ratios', () => {
    const c = learned([10, 2, 2], { window: 3 });
    expect(c.factor('openai', 'gpt-4o')).toBe(10);
    c.observe('openai', 'gpt-4o', 100, 200);
    expect(c.factor('openai', 'gpt-4o')).toBe(2);
    expect(learned([10, 3], { window: 1 }).factor('openai', 'gpt-4o')).toBe(3);
    expect(learned([10, 3], { window: 0 }).factor('openai', 'gpt-4o')).toBe(3);
  });

  it('never goes below 1: an over-estimate only reserves more', () => {
    expect(learned([0.5, 0.1]).factor('openai', 'gpt-4o')).toBe(1);
    const c = learned([3], { window: 2 });
    c.observe('openai', 'gpt-4o', 100, 50);
    c.observe('openai', 'gpt-4o', 100, 50);
    expect(c.factor('openai', 'gpt-4o')).toBe(1);
  });

  it('is capped at maxFactor (default 1000)', () => {
    expect(learned([5_000]).factor('openai', 'gpt-4o')).toBe(1_000);
    expect(learned([5_000], { maxFactor: 4 }).factor('openai', 'gpt-4o')).toBe(4);
  });

  it('is learned per provider and model', () => {
    const c = learned([50]);
    expect(c.factor('openai', 'gpt-4o-mini')).toBe(1);
    expect(c.factor('azure', 'gpt-4o')).toBe(1);
  });

  it('ignores observations it cannot learn from', () => {
    const c = new InputCorrection();
    c.observe('openai', 'gpt-4o', 0, 5_000);
    c.observe('openai', 'gpt-4o', -1, 5_000);
    c.observe('openai', 'gpt-4o', 100, Number.NaN);
    c.observe('openai', 'gpt-4o', 100, Number.POSITIVE_INFINITY);
    c.observe('openai', 'gpt-4o', 100, -5);
    expect(c.factor('openai', 'gpt-4o')).toBe(1);
  });
  it('holds a bounded number of models and providers (model ids can come from user input), forgetting the first learned', () => {
    const c = new InputCorrection();
    for (let i = 0; i <= MAX_MODELS; i++) c.observe('openai', `model-${i}`, 100, 300);
    expect(c.factor('openai', 'model-0')).toBe(1); // forgotten: its calls reserve the plain estimate again
    expect(c.factor('openai', 'model-1')).toBe(3);
    expect(c.factor('openai', `model-${MAX_MODELS}`)).toBe(3);
    for (let i = 0; i < MAX_PROVIDERS; i++) c.observe(`provider-${i}`, 'm', 100, 200);
    expect(c.factor('openai', 'model-1')).toBe(1); // its provider was the first learned
    expect(c.factor('provider-0', 'm')).toBe(2);
    expect(c.factor(`provider-${MAX_PROVIDERS - 1}`, 'm')).toBe(2);
  });
});
