import { describe, expect, it } from 'vitest';
import { computeCost, unpricedUnits } from '../../src/pricing/computeCost.js';
import { flatPrice } from '../../src/pricing/ModelPrices.js';
import type { ModelPrices } from '../../src/pricing/ModelPrices.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { nanos, published } from '../helpers/publishedPrice.js';

describe('computeCost: billed units beyond tokens', () => {
  const catalog = new PricingCatalog({ unknownModel: 'zero' });

  it('charges 1-hour cache writes at the 1-hour rate and the rest at the 5-minute rate', () => {
    const usage = { input: 10 + 3913 + 100, output: 50, cacheWrite: 3913 + 100, cacheWrite1h: 3913 };
    const cost = catalog.cost(usage, 'claude-sonnet-4-6', 'anthropic');
    const expected =
      nanos(published('anthropic', 'claude-sonnet-4-6', 'input_mtok'), 10) +
      nanos(published('anthropic', 'claude-sonnet-4-6', 'cache_write_1h_mtok'), 3913) +
      nanos(published('anthropic', 'claude-sonnet-4-6', 'cache_write_mtok'), 100) +
      nanos(published('anthropic', 'claude-sonnet-4-6', 'output_mtok'), 50);
    expect(cost.totalNanos).toBe(expected);
    expect(cost.cacheWriteNanos).toBe(nanos(6, 3913) + nanos(3.75, 100));
    expect(cost.unpricedUnits).toBeUndefined();
  });

  it('charges web searches per request from the price data, as their own part', () => {
    const cost = catalog.cost({ input: 1000, output: 100, webSearches: 2 }, 'claude-sonnet-4-6', 'anthropic');
    const perSearch = (published('anthropic', 'claude-sonnet-4-6', 'web_searches_kcount') * 1e9) / 1000;
    expect(cost.serverToolNanos).toBe(2 * perSearch);
    expect(cost.totalNanos).toBe(nanos(3, 1000) + nanos(15, 100) + 2 * perSearch);
  });

  it('charges OpenAI file searches at the storage search price', () => {
    const cost = catalog.cost({ input: 10, output: 0, fileSearches: 3 }, 'gpt-4o', 'openai');
    expect(cost.serverToolNanos).toBe((3 * published('openai', 'gpt-4o', 'storage_searches_kcount') * 1e9) / 1000);
  });

  it('charges audio tokens at the audio rates and the rest of the input and output as text', () => {
    const usage = { input: 1000, output: 400, inputAudio: 600, outputAudio: 300 };
    const cost = catalog.cost(usage, 'gpt-audio', 'openai');
    const p = (key: string): number => published('openai', 'gpt-audio', key);
    expect(cost.audioNanos).toBe(nanos(p('input_audio_mtok'), 600) + nanos(p('output_audio_mtok'), 300));
    expect(cost.totalNanos).toBe(nanos(p('input_mtok'), 400) + nanos(p('output_mtok'), 100) + (cost.audioNanos ?? 0));
  });

  it('names the units a model has no price for, and charges audio without an audio price as text', () => {
    const prices: ModelPrices = { input: flatPrice(1_000_000_000n), output: flatPrice(2_000_000_000n), cacheWrite: flatPrice(1_250_000_000n) };
    const usage = { input: 100, output: 10, cacheWrite: 20, cacheWrite1h: 20, inputAudio: 30, outputAudio: 5, webSearches: 1, fileSearches: 1 };
    expect(unpricedUnits(usage, prices)).toEqual(['cache_write_1h', 'input_audio', 'output_audio', 'web_search', 'file_search']);
    const parts = computeCost(usage, prices);
    expect(parts.totalNanos).toBe(80 * 1000 + 20 * 1250 + 10 * 2000);
    expect(parts.audioNanos).toBe(0);
    expect(parts.serverToolNanos).toBe(0);
  });

  it('charges code interpreter, image generation and code execution calls at their prices, as server-tool cost', () => {
    const prices: ModelPrices = {
      input: flatPrice(1_000_000_000n),
      output: flatPrice(2_000_000_000n),
      codeInterpreterCallsPerK: flatPrice(30_000_000_000n),
      imageGenerationsPerK: flatPrice(42_000_000_000n),
      codeExecutionsPerK: flatPrice(50_000_000_000n),
      requestsPerK: flatPrice(1_000_000_000n),
    };
    const usage = { input: 333, output: 7, codeInterpreterCalls: 2, imageGenerations: 3, codeExecutions: 1 };
    expect(unpricedUnits(usage, prices)).toEqual([]);
    const parts = computeCost(usage, prices);
    expect(parts.serverToolNanos).toBe(2 * 30_000_000 + 3 * 42_000_000 + 50_000_000);
    expect(parts.requestNanos).toBe(1_000_000);
    expect(parts.totalNanos).toBe(333 * 1000 + 7 * 2000 + 1_000_000 + 236_000_000);
    const { totalNanos, ...rest } = parts;
    expect(Object.values(rest).reduce((a, b) => a + b, 0)).toBe(totalNanos);
    expect(unpricedUnits(usage, { input: prices.input, output: prices.output })).toEqual(['code_interpreter', 'image_generation', 'code_execution']);
  });

  it('keeps the parts summing to the total when sub-nano call prices round', () => {
    // 1.7 nanos a call: 3 calls are 5.1 nanos; 1 input token at $0.0003 per 1M is 0.3 nanos
    const prices: ModelPrices = { input: flatPrice(300_000n), output: flatPrice(0n), codeExecutionsPerK: flatPrice(1_700n) };
    const parts = computeCost({ input: 1, output: 0, codeExecutions: 3 }, prices);
    expect(parts.totalNanos).toBe(5); // 5.4 rounds to 5
    expect(parts.inputNanos + parts.serverToolNanos).toBe(5);
  });

  it('charges 1-hour cache writes at a 1-hour price without a 5-minute one (and the other writes as input)', () => {
    const prices: ModelPrices = { input: flatPrice(1_000_000_000n), output: flatPrice(0n), cacheWrite1h: flatPrice(2_000_000_000n) };
    const usage = { input: 100, output: 0, cacheWrite: 60, cacheWrite1h: 50 };
    expect(computeCost(usage, prices)).toMatchObject({ totalNanos: 50 * 1000 + 50 * 2000, inputNanos: 50 * 1000, cacheWriteNanos: 50 * 2000 });
    expect(unpricedUnits(usage, prices)).toEqual([]);
  });

  it('rejects parts larger than what they are part of', () => {
    expect(() => computeCost({ input: 10, output: 0, cacheWrite: 2, cacheWrite1h: 3 }, {})).toThrow('usage.cacheWrite1h (3) cannot exceed usage.cacheWrite (2)');
    expect(() => computeCost({ input: 10, output: 0, cacheRead: 5, inputAudio: 6 }, {})).toThrow('usage.inputAudio (6) cannot exceed the uncached input (5)');
    expect(() => computeCost({ input: 1, output: 4, reasoning: 2, outputAudio: 3 }, {})).toThrow('usage.outputAudio (3) cannot exceed the output besides reasoning (2)');
  });
});
