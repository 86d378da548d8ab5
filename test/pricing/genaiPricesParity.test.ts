import { calcPrice, waitForUpdate } from '@pydantic/genai-prices';
import type { Provider } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';
import { GENAI_PROVIDER_IDS } from '../../src/pricing/providerIds.js';

const NOW = new Date('2025-06-01T12:00:00Z');

describe('parity with genai-prices', () => {
  let providers: Provider[] = [];
  /** (provider, model) pairs that both tollgate and genai-prices price as the same model. */
  const pairs: { provider: string; model: string }[] = [];
  const catalog = new PricingCatalog({ now: () => NOW, unknownModel: 'zero' });

  beforeAll(async () => {
    providers = (await waitForUpdate()) ?? [];
    for (const p of providers) {
      for (const m of p.models) {
        const theirs = calcPrice({}, m.id, { providerId: p.id, timestamp: NOW });
        const ours = catalog.resolve(m.id, p.id);
        if (theirs !== null && ours.source === 'genai-prices' && ours.provider === theirs.provider.id && ours.model === theirs.model.id) {
          pairs.push({ provider: p.id, model: m.id });
        }
      }
    }
  });

  it('knows every provider in the package data', () => {
    expect([...GENAI_PROVIDER_IDS].sort()).toEqual(providers.map((p) => p.id).sort());
    expect(pairs.length).toBeGreaterThan(1000);
  });

  it('cost() equals calcPrice to the nano-dollar for 500 random usage vectors', () => {
    const usage = fc
      .record({
        pair: fc.nat({ max: 1_000_000 }),
        input: fc.oneof(fc.nat({ max: 2_000 }), fc.nat({ max: 400_000 }), fc.constantFrom(128_000, 128_001, 200_000, 200_001)),
        cacheReadShare: fc.double({ min: 0, max: 1, noNaN: true }),
        cacheWriteShare: fc.double({ min: 0, max: 1, noNaN: true }),
        output: fc.nat({ max: 100_000 }),
        reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map((r) => {
        const cacheRead = Math.floor(r.input * r.cacheReadShare);
        const cacheWrite = Math.floor((r.input - cacheRead) * r.cacheWriteShare);
        return {
          pair: pairs[r.pair % pairs.length] ?? { provider: 'openai', model: 'gpt-4o' },
          usage: { input: r.input, output: r.output, cacheRead, cacheWrite, reasoning: Math.floor(r.output * r.reasoningShare) },
        };
      });

    fc.assert(
      fc.property(usage, ({ pair, usage: u }) => {
        const ours = catalog.cost(u, pair.model, pair.provider).totalNanos;
        const theirs = calcPrice(
          {
            input_tokens: u.input,
            output_tokens: u.output,
            cache_read_tokens: u.cacheRead,
            cache_write_tokens: u.cacheWrite,
            output_reasoning_tokens: u.reasoning,
          },
          pair.model,
          { providerId: pair.provider, timestamp: NOW },
        );
        expect(theirs).not.toBeNull();
        const theirNanos = (theirs?.total_price ?? Number.NaN) * 1e9;
        // ours is the exact value rounded once; theirs is the same value in floating point
        expect(Math.abs(ours - theirNanos)).toBeLessThanOrEqual(0.5 + 1e-9 * Math.max(1, theirNanos));
        expect(Number.isInteger(ours)).toBe(true);
      }),
      { numRuns: 500, seed: 20_260_101 },
    );
  });
});
