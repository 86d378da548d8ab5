// Benchmark 5: PricingCatalog.cost() for a cached model resolution vs cold ones
// (a new catalog for every call; a model id never seen before for every call).
import { fromDist } from './lib/dist.js';
import { compare } from './lib/measure.js';

const { PricingCatalog } = await fromDist('src/pricing/PricingCatalog.js');

export async function runPricing() {
  const catalog = new PricingCatalog();
  const unknownIds = new PricingCatalog({ unknownModel: 'zero' });
  const usage = (i) => ({ input: 1000 + (i & 1023), output: 200 + (i & 255), cacheRead: 0, cacheWrite: 0, reasoning: 0 });
  if (catalog.cost(usage(0), 'gpt-4o-mini', 'openai').model.source !== 'genai-prices') throw new Error('gpt-4o-mini did not resolve');
  let seq = 0;
  const results = await compare(
    [
      { name: 'cost(), cached resolution', fn: (i) => catalog.cost(usage(i), 'gpt-4o-mini', 'openai') },
      // Alternating models: the resolution comes from the memo, not the last-call shortcut.
      { name: 'cost(), cached, two models alternating', fn: (i) => catalog.cost(usage(i), i & 1 ? 'gpt-4o-mini' : 'claude-sonnet-4-20250514', i & 1 ? 'openai' : 'anthropic') },
      { name: 'cost(), cold: new PricingCatalog each call', batch: 200, fn: (i) => new PricingCatalog().cost(usage(i), 'gpt-4o-mini', 'openai') },
      { name: 'cost(), cold: a new (unknown) model id each call', batch: 200, fn: (i) => unknownIds.cost(usage(i), `bench-model-${seq++}`, 'openai') },
    ],
    { rounds: 15, batch: 20_000, warmup: 1, sync: true },
  );
  return { results };
}
