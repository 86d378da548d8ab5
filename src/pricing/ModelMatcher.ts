import { diag } from '@opentelemetry/api';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type { ModelInfo } from '@pydantic/genai-prices';
import { loadBundledPrices } from './bundledPrices.js';
import type { BundledPrices } from './bundledPrices.js';
import { isTaggedLocalModel } from './localModels.js';
import type { NumberPrices } from './costWithNumbers.js';
import type { PriceEntry } from './loadPricingFile.js';
import { scheduleFromGenai, staticSchedule } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import { normalizeProviderId } from './providerIds.js';
import type { ResolvedModel } from './types.js';

/** A resolution: the model and, when known, its prices. */
export interface Resolution {
  resolved: ResolvedModel;
  schedule?: PriceSchedule;
  /**
   * The plain-number prices of a schedule with one unconstrained entry (most models), once
   * computed; null when they need the BigInt path; undefined until first asked for.
   */
  flat?: NumberPrices | null;
}

/** A custom price (an override or a pricing-file entry) with its schedule. */
export interface OverrideEntry {
  entry: PriceEntry;
  schedule: PriceSchedule;
}

const DATED_SUFFIX = /(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2})|-latest)$/;

/** `provider/model` → both parts; `model` → the model alone. */
export function splitKey(key: string): { provider?: string; model: string } {
  const i = key.indexOf('/');
  return i > 0 ? { provider: key.slice(0, i), model: key.slice(i + 1) } : { model: key };
}

/**
 * Finds the price of a (model, provider) pair, in order: overrides and pricing files, local
 * models (cost 0: the local globs, and `name:tag` ids), genai-prices' own matching, the bundled aliases and prices, and finally the
 * same id without a date or `-latest` suffix.
 */
export class ModelMatcher {
  /**
   * `overrides` is keyed by lower-cased `model` or `provider/model`; `localPatterns` match
   * `provider/model` and `model` of models that cost 0; with `localTags`, Ollama-style
   * `name:tag` ids (`llama3.1:8b`) cost 0 too.
   */
  constructor(
    private readonly overrides: ReadonlyMap<string, OverrideEntry>,
    private readonly localPatterns: readonly RegExp[],
    private readonly localTags = true,
  ) {}

  /** The resolution of a pair, or undefined when no price data knows the model. */
  /**
   * The first of `keys` that is a bundled alias, resolved to its target. With `superseding`, only
   * aliases marked so, and only for calls to the alias's own provider (`pid`) or no provider.
   */
  private bundledAlias(bundled: BundledPrices, keys: readonly string[], superseding: false | { pid: string | undefined }): Resolution | undefined {
    for (const k of keys) {
      const alias = bundled.aliases.get(k);
      if (alias === undefined) continue;
      if (superseding !== false && (alias.supersedes !== true || (superseding.pid !== undefined && superseding.pid !== normalizeProviderId(alias.provider)))) continue;
      const target = findProvider({ providerId: alias.provider })?.models.find((m: ModelInfo) => m.id === alias.model);
      if (target !== undefined) return genaiResolution(alias.provider, target);
    }
    return undefined;
  }

  match(model: string, provider: string | undefined): Resolution | undefined {
    const name = model.trim().toLowerCase();
    const rawProvider = provider?.trim().toLowerCase() || undefined;
    const pid = rawProvider === undefined ? undefined : normalizeProviderId(rawProvider);
    const slash = name.indexOf('/');
    const prefix = slash > 0 ? name.slice(0, slash) : undefined;
    const rest = slash > 0 ? name.slice(slash + 1) : undefined;
    const last = name.slice(name.lastIndexOf('/') + 1);
    const keys = [
      ...new Set(
        [rawProvider && `${rawProvider}/${name}`, pid && `${pid}/${name}`, name, rest, last].filter(
          (k): k is string => typeof k === 'string' && k.length > 0,
        ),
      ),
    ];

    // 1. overrides and pricing files
    for (const k of keys) {
      const o = this.overrides.get(k);
      if (o === undefined) continue;
      const split = splitKey(o.entry.key);
      return {
        resolved: {
          provider: o.entry.provider ?? split.provider ?? pid ?? prefix ?? 'custom',
          model: split.model,
          source: 'override',
          known: true,
        },
        schedule: o.schedule,
      };
    }

    // 2. local models
    const localCandidates = [rawProvider && `${rawProvider}/${name}`, pid && `${pid}/${name}`, name].filter(
      (k): k is string => typeof k === 'string',
    );
    // An Ollama tag wins over genai-prices' loose matching (`deepseek-r1:8b` is not DeepSeek's API model).
    const local =
      rawProvider === 'local' || this.localPatterns.some((re) => localCandidates.some((c) => re.test(c))) || (this.localTags && isTaggedLocalModel(last));
    if (local) {
      return {
        resolved: {
          provider: pid ?? prefix ?? 'local',
          model: pid === undefined && rest !== undefined ? rest : name,
          source: 'local',
          known: true,
        },
      };
    }

    // 3. bundled aliases that supersede the price data's own match (it names the model the alias served before)
    const bundled = loadBundledPrices();
    const superseding = this.bundledAlias(bundled, keys, { pid });
    if (superseding !== undefined) return superseding;

    // 4. genai-prices matching
    const attempts: [string, string | undefined][] = [];
    if (pid !== undefined) {
      attempts.push([name, pid]);
      if (rest !== undefined) attempts.push([rest, pid]);
    }
    if (prefix !== undefined && rest !== undefined) attempts.push([rest, normalizeProviderId(prefix)]);
    attempts.push([name, undefined]);
    if (rest !== undefined) attempts.push([rest, undefined]);
    if (last !== name && last !== rest) attempts.push([last, undefined]);
    for (const [m, p] of attempts) {
      const found = genaiMatch(m, p);
      if (found !== undefined) return found;
    }

    // 5. bundled aliases and prices
    const aliased = this.bundledAlias(bundled, keys, false);
    if (aliased !== undefined) return aliased;
    for (const entry of bundled.models) {
      const k = entry.key.toLowerCase();
      const split = splitKey(k);
      if (!keys.includes(k) && !keys.includes(split.model)) continue;
      return {
        resolved: { provider: entry.provider ?? split.provider ?? 'bundled', model: split.model, source: 'bundled', known: true },
        schedule: staticSchedule(entry.prices),
      };
    }

    // 6. a dated or -latest id that nothing knew: try without the suffix
    const undated = name.replace(DATED_SUFFIX, '');
    if (undated !== name && undated.length > 0) return this.match(undated, provider);
    return undefined;
  }
}

function genaiResolution(provider: string, model: ModelInfo): Resolution {
  return {
    resolved: { provider, model: model.id, source: 'genai-prices', known: true },
    schedule: scheduleFromGenai(model),
  };
}

/** genai-prices' own matching (aliases, dated ids, provider fallbacks); undefined when it has no price. */
function genaiMatch(model: string, providerId: string | undefined): Resolution | undefined {
  try {
    const result = calcPrice({}, model, providerId === undefined ? undefined : { providerId });
    if (result === null) return undefined;
    return genaiResolution(result.provider.id, result.model);
  } catch (err: unknown) {
    diag.debug(`tollgate: genai-prices could not match "${model}": ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
