import type { Resolution } from './ModelMatcher.js';

/** The memo's provider key for lookups without a provider (provider ids never contain NUL). */
const NO_PROVIDER = '\u0000';
/** Entries kept before the oldest are dropped. Default of ResolutionMemo. */
const MEMO_LIMIT = 10_000;

/**
 * Resolutions by provider, then model, so lookups build no key strings; bounded (the oldest
 * resolution of the provider seen first is dropped past the limit), and the previous pair is
 * kept apart, since a hot path mostly repeats its model.
 */
export class ResolutionMemo {
  private readonly memo = new Map<string, Map<string, Resolution>>();
  private size = 0;
  private misses = 0;
  private lastModel: string | undefined;
  private lastProvider: string | undefined;
  private lastResolution: Resolution | undefined;

  /** `limit`: resolutions kept. Default 10,000. */
  constructor(private readonly limit: number = MEMO_LIMIT) {}

  /** How many times `compute` ran (cache misses). */
  get missCount(): number {
    return this.misses;
  }

  /** The memoised resolution of the pair, computed with `compute` on a miss. */
  get(model: string, provider: string | undefined, compute: (model: string, provider: string | undefined) => Resolution): Resolution {
    // The same pair as the previous call: no map lookup.
    if (this.lastResolution !== undefined && this.lastModel === model && this.lastProvider === provider) return this.lastResolution;
    const resolution = this.lookup(model, provider, compute);
    this.lastModel = model;
    this.lastProvider = provider;
    this.lastResolution = resolution;
    return resolution;
  }

  private lookup(model: string, provider: string | undefined, compute: (model: string, provider: string | undefined) => Resolution): Resolution {
    const providerKey = provider ?? NO_PROVIDER;
    let byModel = this.memo.get(providerKey);
    const hit = byModel?.get(model);
    if (hit !== undefined) return hit;
    this.misses++;
    const found = compute(model, provider);
    if (this.size >= this.limit) {
      this.evictOldest();
      byModel = this.memo.get(providerKey); // eviction may have dropped this provider's (emptied) map
    }
    if (byModel === undefined) {
      byModel = new Map();
      this.memo.set(providerKey, byModel);
    }
    byModel.set(model, found);
    this.size++;
    return found;
  }

  /** Drops the oldest resolution of the provider seen first (bounded memory under endless new ids). */
  private evictOldest(): void {
    for (const [providerKey, byModel] of this.memo) {
      const oldest = byModel.keys().next();
      if (oldest.done !== true) {
        byModel.delete(oldest.value);
        this.size--;
      }
      if (byModel.size === 0) this.memo.delete(providerKey);
      return;
    }
  }
}
