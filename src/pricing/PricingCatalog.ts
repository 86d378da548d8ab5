import { diag } from '@opentelemetry/api';
import { ConfigError } from '../core/ConfigError.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { UnknownModelError } from '../core/UnknownModelError.js';
import { catalogueEntries } from './catalogueEntries.js';
import { ceilingPrices } from './ceilingPrices.js';
import { checkUsage, computeCost, hasExtraUnits, unpricedUnits, zeroParts } from './computeCost.js';
import { costWithNumbers, numberPrices, totalWithNumbers } from './costWithNumbers.js';
import type { NumberPrices } from './costWithNumbers.js';
import { globToRegExp } from './globToRegExp.js';
import { loadPricingFile } from './loadPricingFile.js';
import type { PriceEntry } from './loadPricingFile.js';
import { ModelMatcher, splitKey } from './ModelMatcher.js';
import type { OverrideEntry, Resolution } from './ModelMatcher.js';
import type { ModelPrices } from './ModelPrices.js';
import { PriceAdditions } from './PriceAdditions.js';
import { addsToPriceData, parsePriceEntry } from './PriceOverride.js';
import type { PriceOverride } from './PriceOverride.js';
import { priceRow } from './priceRow.js';
import type { PriceRow } from './priceRow.js';
import { pricesAt, staticSchedule } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import { normalizeProviderId } from './providerIds.js';
import { pricingProvider } from './providerNames.js';
import { ResolutionMemo } from './ResolutionMemo.js';
import { isPricedTier, pricesForTier } from './serviceTier.js';
import type { CostBreakdown, ResolvedModel, UnknownModelPolicy } from './types.js';

export type { PriceRow } from './priceRow.js';

/** Options of a PricingCatalog. */
export interface PricingOptions {
  /**
   * Custom prices keyed by `model` or `provider/model` (case-insensitive). They win
   * over pricing files, which win over genai-prices and the bundled data. An entry with an
   * input or output price replaces the model's prices; one with neither adds its prices
   * (e.g. `codeInterpreterPerCall`) to the price data's entry of the model. Default {}.
   */
  overrides?: Record<string, PriceOverride>;
  /** JSON pricing files, read and validated in the constructor. Default []. */
  files?: string[];
  /** What `cost()` does for a model no price data knows. Default 'warn' (cost 0 and one diag.warn per model). */
  unknownModel?: UnknownModelPolicy;
  /**
   * Globs (`*`, `?`; case-insensitive) matched against `provider/model` and `model`;
   * matching models cost 0. Default ['ollama/*', 'lmstudio/*', 'local/*'].
   */
  localModels?: string[];
  /**
   * Ollama-style `name:tag` ids (`llama3.1:8b`, `qwen3:0.6b`; one colon, a tag with a letter)
   * are local models and cost 0, unless an override prices them. Default true.
   */
  localModelTags?: boolean;
  /** Clock used to pick time-dependent prices (e.g. off-peak discounts). Default `() => new Date()`. */
  now?: () => Date;
}

/** The ceiling cache's key for "every known model". */
const ALL_PROVIDERS = '';

/**
 * The price table: @pydantic/genai-prices data, plus the bundled `data/prices.json`
 * (aliases and the few seed models genai-prices lacks), pricing files and overrides.
 * Model resolution runs once per (model, provider) pair and is memoised, so `cost()`
 * on a hot path is a Map lookup plus integer arithmetic.
 */
export class PricingCatalog {
  private readonly memo = new ResolutionMemo();
  private readonly overrides = new Map<string, OverrideEntry>();
  private readonly additions = new PriceAdditions();
  private readonly matcher: ModelMatcher;
  private readonly unknownModel: UnknownModelPolicy;
  private readonly now: () => Date;
  private readonly warned = new Set<string>();
  /** Ceiling prices by normalised provider id (ALL_PROVIDERS: every model); null when the provider has no priced model. */
  private readonly ceilings = new Map<string, ModelPrices | null>();

  /** Throws a ConfigError naming the field for a bad policy, override or pricing file. */
  constructor(options: PricingOptions = {}) {
    this.unknownModel = options.unknownModel ?? 'warn';
    if (!['zero', 'warn', 'deny'].includes(this.unknownModel)) {
      throw new ConfigError({
        source: 'PricingCatalog options',
        path: 'unknownModel',
        expected: "expected 'zero', 'warn' or 'deny'",
        got: this.unknownModel,
      });
    }
    this.now = options.now ?? (() => new Date());
    const localPatterns = (options.localModels ?? ['ollama/*', 'lmstudio/*', 'local/*']).map(globToRegExp);
    this.matcher = new ModelMatcher(this.overrides, localPatterns, options.localModelTags ?? true);
    // Entries that replace a model's prices first, then those that add to the price data (resolved against it).
    const additions: { entry: PriceEntry; source: string; path: string }[] = [];
    const take = (entry: PriceEntry, source: string, path: string): void => {
      if (addsToPriceData(entry.prices)) additions.push({ entry, source, path });
      else this.addOverride(entry);
    };
    for (const file of options.files ?? []) {
      for (const entry of loadPricingFile(file)) take(entry, file, JSON.stringify(entry.key));
    }
    for (const [key, override] of Object.entries(options.overrides ?? {})) {
      const path = `[${JSON.stringify(key)}]`;
      take({ key, prices: parsePriceEntry(override, 'pricing.overrides', path) }, 'pricing.overrides', path);
    }
    for (const a of additions) this.addToPriceData(a.entry, a.source, a.path);
  }

  /** How many times model matching actually ran (cache misses). For tests and diagnostics. */
  get matchCount(): number {
    return this.memo.missCount;
  }

  /**
   * The model a (model, provider) pair prices as. Accepts ids with dates
   * (`claude-sonnet-4-20250514`), `provider/model` strings, OpenRouter-style prefixes
   * (`openrouter/openai/gpt-4o`) and GenAI semconv provider names (`gcp.gemini`).
   * Memoised: the same pair returns the same object without matching again.
   */
  resolve(model: string, provider?: string): ResolvedModel {
    return this.lookup(model, provider).resolved;
  }

  /** True when the pair has a price: a known model, or a local one (which costs 0). Never warns or throws. */
  isPriced(model: string, provider?: string): boolean {
    return this.lookup(model, provider).resolved.known;
  }

  /**
   * Prices one usage vector in integer nano-USD (see TokenUsage for what each count
   * includes). Throws a RangeError for negative, fractional or NaN counts, and
   * UnknownModelError for an unknown model under the 'deny' policy; under 'zero'
   * and 'warn' an unknown model costs 0 with `model.known === false`.
   */
  cost(usage: TokenUsage, model: string, provider?: string): CostBreakdown {
    const resolution = this.lookup(model, provider);
    const { resolved, schedule } = resolution;
    if (schedule === undefined) {
      checkUsage(usage);
      if (!resolved.known) {
        if (this.unknownModel === 'deny') throw new UnknownModelError(model, provider);
        if (this.unknownModel === 'warn') this.warnUnknown(model, provider);
      }
      return zeroCost(resolved);
    }
    if (hasExtraUnits(usage)) return costOfUnits(usage, this.pricesNow(schedule), resolved);
    // One read of the prices in force (a time-dependent schedule reads the clock once per call).
    const prices = schedule.entries.length === 1 ? undefined : this.pricesNow(schedule);
    const flat = prices === undefined ? this.flatPrices(resolution) : numberPrices(prices);
    if (flat !== null) {
      const fast = costWithNumbers(usage, flat, resolved);
      if (fast !== undefined) return fast;
    }
    return { ...computeCost(usage, prices ?? this.pricesNow(schedule)), model: resolved };
  }

  /**
   * The cost of `usage` as if the model were priced at the ceiling of `provider`'s known
   * models (pricing files and overrides included): for input, output, cache read and cache
   * write, the dearest price any of them charges for that kind of token at the call's input
   * size, so no known model of the provider costs more for the same usage (per-request fees
   * aside). `provider` is mapped with `pricingProvider` first (`azure.ai.openai` → openai);
   * when it is absent or has no priced model, the ceiling is over every known model.
   * The breakdown's model is `{ provider, model: 'ceiling', source: 'ceiling', known: false }`.
   * Exact nano-USD like cost(); throws a RangeError for invalid counts. Computed once per
   * provider and cached.
   */
  ceilingCost(usage: TokenUsage, provider?: string): CostBreakdown {
    const id = provider === undefined || provider.trim() === '' ? undefined : normalizeProviderId(pricingProvider(provider.trim()));
    const prices = (id === undefined ? null : this.ceilingOf(id)) ?? this.ceilingOf(ALL_PROVIDERS);
    const model: ResolvedModel = { provider: id ?? 'unknown', model: 'ceiling', source: 'ceiling', known: false };
    if (prices === null) {
      checkUsage(usage);
      return zeroCost(model);
    }
    if (hasExtraUnits(usage)) return costOfUnits(usage, prices, model);
    const flat = numberPrices(prices);
    const fast = flat === null ? undefined : costWithNumbers(usage, flat, model);
    return fast ?? { ...computeCost(usage, prices), model };
  }

  /**
   * `cost({ input: inputTokens, output: outputTokens }, model, provider).totalNanos`, without
   * building the breakdown: what a worst-case estimate before a call needs. Same errors as cost().
   */
  totalNanos(inputTokens: number, outputTokens: number, model: string, provider?: string): number {
    const resolution = this.lookup(model, provider);
    if (resolution.schedule !== undefined && Number.isInteger(inputTokens) && Number.isInteger(outputTokens) && inputTokens >= 0 && outputTokens >= 0) {
      const flat = this.flatPrices(resolution);
      const total = flat !== null ? totalWithNumbers(inputTokens, outputTokens, flat) : undefined;
      if (total !== undefined) return total;
    }
    return this.cost({ input: inputTokens, output: outputTokens }, model, provider).totalNanos;
  }

  /** The price row a model resolves to (undefined for unknown and local models). */
  describe(model: string, provider?: string): PriceRow | undefined {
    const { resolved, schedule } = this.lookup(model, provider);
    if (schedule === undefined) return undefined;
    return priceRow(resolved.provider, resolved.model, schedule, resolved.source, this.now());
  }

  /**
   * Every priced model (genai-prices, bundled, pricing files, overrides), sorted by
   * provider then model, with the prices in force now. `provider` filters by provider id.
   */
  list(provider?: string): PriceRow[] {
    const now = this.now();
    const rows: PriceRow[] = [];
    for (const e of catalogueEntries(this.overrides.values(), provider)) {
      rows.push(priceRow(e.provider, e.model, this.withAdditions(e.provider, e.model, e.schedule, e.source), e.source, now));
    }
    return rows.sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
  }

  private addOverride(entry: PriceEntry): void {
    this.overrides.set(entry.key.trim().toLowerCase(), { entry, schedule: staticSchedule(entry.prices) });
    this.ceilings.clear(); // overrides count in the ceilings
  }

  /**
   * An entry without input and output prices: its prices are added to the price-data model its
   * key resolves to. Throws a ConfigError when the key names no price-data model (its tokens
   * would cost $0) or a model priced by an entry of the user's own (which replaces the data).
   */
  private addToPriceData(entry: PriceEntry, source: string, path: string): void {
    const split = splitKey(entry.key.trim());
    const provider = entry.provider ?? split.provider;
    const found = this.matcher.match(split.model, provider);
    if (found?.resolved.source === 'override') {
      throw new ConfigError({
        source,
        path,
        expected: `an entry without input and output prices adds to the price data, but "${entry.key}" is priced by an entry of your own (pricing.overrides or a pricing file), which replaces the price data`,
        fix: `move these prices into that entry of "${found.resolved.model}"`,
      });
    }
    if (found?.schedule === undefined) {
      throw new ConfigError({
        source,
        path,
        expected: `an entry without input and output prices adds to the price data's entry of its model, but the price data has no price for "${entry.key}"`,
        fix: 'add input_per_m and output_per_m (inputPerM / outputPerM in code) to price the model in full, or correct the model name',
      });
    }
    this.additions.add(found.resolved.model, provider === undefined ? undefined : found.resolved.provider, entry.prices);
    this.ceilings.clear();
  }

  /** A price-data schedule with the prices added to it; overrides' own schedules are left alone. */
  private withAdditions(provider: string, model: string, schedule: PriceSchedule, source: ResolvedModel['source']): PriceSchedule {
    return source === 'override' ? schedule : this.additions.apply(provider, model, schedule);
  }

  /** The cached ceiling prices of one provider id (ALL_PROVIDERS: every model); null when it has no priced model. */
  private ceilingOf(key: string): ModelPrices | null {
    let prices = this.ceilings.get(key);
    if (prices === undefined) {
      const entries = catalogueEntries(this.overrides.values(), key === ALL_PROVIDERS ? undefined : key);
      prices = ceilingPrices(Array.from(entries, (e) => this.withAdditions(e.provider, e.model, e.schedule, e.source)), this.now()) ?? null;
      this.ceilings.set(key, prices);
    }
    return prices;
  }

  /** Plain-number prices in force now: cached for single-entry schedules, read per call for time-dependent ones. */
  private flatPrices(resolution: Resolution): NumberPrices | null {
    const schedule = resolution.schedule;
    if (schedule === undefined) return null;
    if (schedule.entries.length !== 1) return numberPrices(this.pricesNow(schedule));
    if (resolution.flat === undefined) resolution.flat = numberPrices((schedule.entries[0] as PriceSchedule['entries'][number]).prices);
    return resolution.flat;
  }

  /** Most models have one unconstrained price entry: no clock read (and no Date) needed. */
  private pricesNow(schedule: PriceSchedule): ModelPrices {
    return schedule.entries.length === 1 ? (schedule.entries[0] as PriceSchedule['entries'][number]).prices : pricesAt(schedule, this.now());
  }

  private lookup(model: string, provider?: string): Resolution {
    return this.memo.get(model, provider, this.resolveUncached);
  }

  private readonly resolveUncached = (model: string, provider: string | undefined): Resolution => {
    const found = this.matcher.match(model, provider);
    if (found === undefined) return unknownResolution(model, provider);
    if (found.schedule === undefined) return found;
    return { ...found, schedule: this.withAdditions(found.resolved.provider, found.resolved.model, found.schedule, found.resolved.source) };
  };

  /** One diag.warn per unknown model name under the 'warn' policy. */
  private warnUnknown(model: string, provider: string | undefined): void {
    const name = model.trim();
    if (this.warned.has(name.toLowerCase())) return;
    this.warned.add(name.toLowerCase());
    diag.warn(
      `tollgate: no price known for model "${name}"${provider ? ` (provider ${provider})` : ''}; counted as $0. ` +
        'Fix: add pricing.overrides or a pricing file entry for it, or set pricing.unknownModel.',
    );
  }
}

function unknownResolution(model: string, provider: string | undefined): Resolution {
  const name = model.trim();
  const split = provider === undefined ? splitKey(name) : { provider, model: name };
  return { resolved: { provider: split.provider ?? 'unknown', model: split.model, source: 'unknown', known: false } };
}

/** The BigInt path for a usage with more than token counts: tier prices, audio, 1-hour cache writes, server-tool fees. */
function costOfUnits(usage: TokenUsage, prices: ModelPrices, model: ResolvedModel): CostBreakdown {
  const breakdown: CostBreakdown = { ...computeCost(usage, pricesForTier(prices, usage.serviceTier)), model };
  const unpriced = unpricedUnits(usage, prices);
  if (unpriced.length > 0) breakdown.unpricedUnits = unpriced;
  if (isPricedTier(usage.serviceTier)) breakdown.serviceTier = usage.serviceTier;
  return breakdown;
}

function zeroCost(model: ResolvedModel): CostBreakdown {
  return { ...zeroParts(), model };
}
