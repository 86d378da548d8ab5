import { findProvider } from '@pydantic/genai-prices';
import { loadBundledPrices } from './bundledPrices.js';
import type { OverrideEntry } from './ModelMatcher.js';
import { splitKey } from './ModelMatcher.js';
import { scheduleFromGenai, staticSchedule } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import { GENAI_PROVIDER_IDS, normalizeProviderId } from './providerIds.js';
import type { ResolvedModel } from './types.js';

/** One priced model of the catalogue. */
export interface CatalogueEntry {
  /** As the data names it: a genai-prices id, a bundled or override provider, 'bundled' or 'custom' when none is given. */
  provider: string;
  model: string;
  schedule: PriceSchedule;
  source: ResolvedModel['source'];
}

/**
 * Every priced model: genai-prices, the bundled data, then pricing files and overrides (in
 * that order, unsorted). `provider`, when given, keeps the models whose provider id
 * (normalised) equals it.
 */
export function* catalogueEntries(overrides: Iterable<OverrideEntry>, provider?: string): Generator<CatalogueEntry> {
  const want = provider === undefined ? undefined : normalizeProviderId(provider);
  for (const id of GENAI_PROVIDER_IDS) {
    if (want !== undefined && want !== id) continue;
    const p = findProvider({ providerId: id });
    if (p === undefined || p.id !== id) continue;
    for (const m of p.models) yield { provider: p.id, model: m.id, schedule: scheduleFromGenai(m), source: 'genai-prices' };
  }
  for (const entry of loadBundledPrices().models) {
    const key = splitKey(entry.key);
    const p = entry.provider ?? key.provider ?? 'bundled';
    if (want === undefined || normalizeProviderId(p) === want) {
      yield { provider: p, model: key.model, schedule: staticSchedule(entry.prices), source: 'bundled' };
    }
  }
  for (const { entry, schedule } of overrides) {
    const key = splitKey(entry.key);
    const p = entry.provider ?? key.provider ?? 'custom';
    if (want === undefined || normalizeProviderId(p) === want) yield { provider: p, model: key.model, schedule, source: 'override' };
  }
}
