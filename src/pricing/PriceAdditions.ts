import type { ModelPrices } from './ModelPrices.js';
import type { PriceSchedule } from './PriceSchedule.js';
import { normalizeProviderId } from './providerIds.js';

/** One entry's prices added to a price-data model. */
interface Addition {
  /** Normalised provider id, or undefined for the model at any provider. */
  provider?: string;
  prices: ModelPrices;
}

/**
 * Prices added on top of the price data's entry of a model: overrides and pricing-file entries
 * without an input or output price (e.g. only a code interpreter price for gpt-4.1). Keyed by
 * the model id the price data resolves them to (so `gpt-4.1-2025-04-14` calls get the prices
 * added to `gpt-4.1`); an entry keyed `provider/model` applies at that provider only.
 */
export class PriceAdditions {
  /** Lower-cased model id → additions, in the order added (later ones win field by field). */
  private readonly byModel = new Map<string, Addition[]>();

  /** Adds `prices` to the price-data model `model` (as resolved), at `provider` only when given. */
  add(model: string, provider: string | undefined, prices: ModelPrices): void {
    const key = model.toLowerCase();
    const list = this.byModel.get(key) ?? [];
    list.push(provider === undefined ? { prices } : { provider: normalizeProviderId(provider), prices });
    this.byModel.set(key, list);
  }

  /**
   * `schedule` with the additions for (provider, model) merged into every one of its entries
   * (an added price replaces the data's price of the same unit); `schedule` itself when none apply.
   */
  apply(provider: string, model: string, schedule: PriceSchedule): PriceSchedule {
    const list = this.byModel.get(model.toLowerCase());
    if (list === undefined) return schedule;
    const pid = normalizeProviderId(provider);
    const added = list.filter((a) => a.provider === undefined || a.provider === pid);
    if (added.length === 0) return schedule;
    const extra: ModelPrices = Object.assign({}, ...added.map((a) => a.prices)) as ModelPrices;
    return { entries: schedule.entries.map((e) => ({ ...e, prices: { ...e.prices, ...extra } })) };
  }
}
