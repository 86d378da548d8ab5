import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/ConfigError.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { nanos, published } from '../helpers/publishedPrice.js';

/*
 * An override or pricing-file entry without input and output prices adds its prices to the
 * price data's entry of the model: the token prices stay the data's, the added units are priced.
 */
describe('PricingCatalog: prices added to the price data', () => {
  const gpt = (key: string): number => published('openai', 'gpt-4.1', key);

  it('prices code interpreter calls of gpt-4.1 on top of its token prices, dated ids included', () => {
    const c = new PricingCatalog({ overrides: { 'gpt-4.1': { codeInterpreterPerCall: 0.03 } } });
    const usage = { input: 1000, output: 100, codeInterpreterCalls: 2, webSearches: 1 };
    const webSearch = (gpt('web_searches_kcount') * 1e9) / 1000;
    for (const model of ['gpt-4.1', 'gpt-4.1-2025-04-14']) {
      const cost = c.cost(usage, model, 'openai');
      expect(cost.serverToolNanos).toBe(2 * 30_000_000 + webSearch);
      expect(cost.totalNanos).toBe(nanos(gpt('input_mtok'), 1000) + nanos(gpt('output_mtok'), 100) + 2 * 30_000_000 + webSearch);
      expect(cost.unpricedUnits).toBeUndefined();
      expect(cost.model).toMatchObject({ provider: 'openai', model: 'gpt-4.1', source: 'genai-prices' });
    }
    // other models are untouched
    expect(c.cost({ input: 10, output: 1, codeInterpreterCalls: 1 }, 'gpt-4o', 'openai').unpricedUnits).toEqual(['code_interpreter']);
  });

  it('reads the additions from a pricing file in snake_case, and replaces a data price of the same unit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-additions-'));
    const path = join(dir, 'prices.json');
    writeFileSync(
      path,
      JSON.stringify({
        'gpt-4.1': { code_interpreter_per_call: 0.03, image_generation_per_1k: 42 },
        'anthropic/claude-sonnet-4-6': { code_execution_per_call: 0.05, cache_write_1h_per_m: 7 },
      }),
    );
    const c = new PricingCatalog({ files: [path] });
    const image = c.cost({ input: 0, output: 0, imageGenerations: 3 }, 'gpt-4.1', 'openai');
    expect(image).toMatchObject({ totalNanos: 3 * 42_000_000, serverToolNanos: 3 * 42_000_000 });
    const claude = c.cost({ input: 1100, output: 10, cacheWrite: 1000, cacheWrite1h: 1000, codeExecutions: 4 }, 'claude-sonnet-4-6', 'anthropic');
    const p = (key: string): number => published('anthropic', 'claude-sonnet-4-6', key);
    expect(claude.cacheWriteNanos).toBe(nanos(7, 1000));
    expect(claude.serverToolNanos).toBe(4 * 50_000_000);
    expect(claude.totalNanos).toBe(nanos(p('input_mtok'), 100) + nanos(7, 1000) + nanos(p('output_mtok'), 10) + 4 * 50_000_000);
    expect(claude.unpricedUnits).toBeUndefined();
  });

  it('an entry keyed provider/model adds at that provider only', () => {
    const c = new PricingCatalog({ overrides: { 'openai/gpt-4.1': { codeInterpreterPer1k: 30 } } });
    expect(c.cost({ input: 0, output: 0, codeInterpreterCalls: 1 }, 'gpt-4.1', 'openai').totalNanos).toBe(30_000_000);
    expect(c.cost({ input: 0, output: 0, codeInterpreterCalls: 1 }, 'openai/gpt-4.1').totalNanos).toBe(30_000_000);
  });

  it('counts added prices in the ceiling of their provider', () => {
    const c = new PricingCatalog({ overrides: { 'gpt-4.1': { codeInterpreterPerCall: 0.03 } } });
    const ceiling = c.ceilingCost({ input: 0, output: 0, codeInterpreterCalls: 1 }, 'openai');
    expect(ceiling.serverToolNanos).toBe(30_000_000);
    expect(ceiling.unpricedUnits).toBeUndefined();
  });

  it('refuses additions to a model the price data does not know, or one priced by an entry of your own', () => {
    expect(() => new PricingCatalog({ overrides: { 'my-finetune': { codeInterpreterPerCall: 0.03 } } })).toThrow(
      new ConfigError({
        source: 'pricing.overrides',
        path: '["my-finetune"]',
        expected: 'an entry without input and output prices adds to the price data\'s entry of its model, but the price data has no price for "my-finetune"',
        fix: 'add input_per_m and output_per_m (inputPerM / outputPerM in code) to price the model in full, or correct the model name',
      }),
    );
    expect(() => new PricingCatalog({ overrides: { rocket: { inputPerM: 1, outputPerM: 2 }, 'acme/rocket': { codeExecutionPerCall: 0.05 } } })).toThrow(
      'pricing.overrides: ["acme/rocket"]: an entry without input and output prices adds to the price data, but "acme/rocket" is priced by an entry of your own (pricing.overrides or a pricing file), which replaces the price data. Fix: move these prices into that entry of "rocket"',
    );
  });

  it('prices the new units in an entry that replaces a model too', () => {
    const c = new PricingCatalog({ overrides: { 'acme/rocket': { inputPerM: 1, outputPerM: 2, imageGenerationPerCall: 0.04, requestPerCall: 0.001 } } });
    const cost = c.cost({ input: 1000, output: 500, imageGenerations: 2 }, 'rocket', 'acme');
    expect(cost).toMatchObject({ inputNanos: 1_000_000, outputNanos: 1_000_000, serverToolNanos: 80_000_000, requestNanos: 1_000_000, totalNanos: 83_000_000 });
    expect(cost.unpricedUnits).toBeUndefined();
  });
});
