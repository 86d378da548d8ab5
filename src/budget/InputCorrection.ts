import { setBounded } from '../core/setBounded.js';

/** Options of InputCorrection. */
export interface InputCorrectionOptions {
  /** Recent calls per model the correction is learned from (at least 1). Default 64. */
  window?: number;
  /** The quantile of actual/estimated input used as the factor. Default 0.9. */
  quantile?: number;
  /** The largest factor applied (a guard against one absurd report). Default 1000. */
  maxFactor?: number;
}

/**
 * Learns, per model, how far the token estimator under-counts a call's input (images, files,
 * tool schemas and provider-side prompt wrapping are invisible to it). After each settled call
 * that reported its input, the ratio actual / estimated is kept (the last `window` per model);
 * the factor later reservations multiply their input estimate by is the `quantile` of those
 * ratios, never below 1 (an over-estimate is left alone: it only reserves more).
 */
export class InputCorrection {
  private readonly window: number;
  private readonly quantile: number;
  private readonly maxFactor: number;
  /**
   * Per provider, per model: the recent ratios in arrival order, the same ratios sorted (kept
   * sorted as they come and go) and the factor they give. Keyed by provider, then model, so a
   * call builds no key string; at most MAX_MODELS models per provider and MAX_PROVIDERS
   * providers (model ids can come from user input), the first learned forgotten first.
   */
  private readonly learnedOf = new Map<string, Map<string, Learned>>();

  constructor(options: InputCorrectionOptions = {}) {
    this.window = Math.max(1, Math.floor(options.window ?? 64));
    this.quantile = Math.min(1, Math.max(0, options.quantile ?? 0.9));
    this.maxFactor = options.maxFactor ?? 1000;
  }

  /** The factor for calls of `provider`/`model` (1 until a call of it under-estimated). */
  factor(provider: string, model: string): number {
    return this.learnedOf.get(provider)?.get(model)?.factor ?? 1;
  }

  /** Learns from one call: `estimated` input tokens counted before it, `actual` reported after it. */
  observe(provider: string, model: string, estimated: number, actual: number): void {
    if (!(estimated > 0) || !(actual >= 0) || !Number.isFinite(actual)) return;
    let models = this.learnedOf.get(provider);
    if (models === undefined) {
      models = new Map();
      setBounded(this.learnedOf, provider, models, MAX_PROVIDERS);
    }
    let entry = models.get(model);
    if (entry === undefined) {
      entry = { recent: [], sorted: [], factor: 1 };
      setBounded(models, model, entry, MAX_MODELS);
    }
    const ratio = actual / estimated;
    entry.recent.push(ratio);
    entry.sorted.splice(sortedIndex(entry.sorted, ratio), 0, ratio);
    if (entry.recent.length > this.window) {
      const gone = entry.recent.shift() as number;
      entry.sorted.splice(sortedIndex(entry.sorted, gone), 1);
    }
    const sorted = entry.sorted;
    const q = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(this.quantile * sorted.length) - 1))] as number;
    entry.factor = Math.min(this.maxFactor, Math.max(1, q));
  }
}

/** What is learned of one model. */
interface Learned {
  recent: number[];
  sorted: number[];
  factor: number;
}

/** Models learned per provider, and providers, before the first learned is forgotten (a forgotten model's calls reserve their plain estimate until they under-count again). */
export const MAX_MODELS = 1000;
export const MAX_PROVIDERS = 100;

/** The first index in ascending `sorted` whose value is not below `value`. */
function sortedIndex(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
