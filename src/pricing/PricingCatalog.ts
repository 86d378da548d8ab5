import { diag } from '@opentelemetry/api';
import { ConfigError } from '../core/ConfigError.js';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type { ModelInfo } from '@pydantic/genai-prices';
import { loadBundledPrices } from './bundledPrices.js';
import { checkCount, checkUsage, computeCost } from './computeCost.js';
import { globToRegExp } from './globToRegExp.js';
import { isTiered } from './ModelPrices.js';
import type { IntegerPrice, ModelPrices } from './ModelPrices.js';
import { loadPricingFile } from './loadPricingFile.js';
import type { PriceEntry } from './loadPricingFile.js';
import { parsePriceEntry } from './PriceOverride.js';
import type { PriceOverride } from './PriceOverride.js';
import { pricesAt, scheduleFromGenai, staticSchedule } from './PriceSchedule.js';
import type { PriceSchedule } from './PriceSchedule.js';
import { GENAI_PROVIDER_IDS, normalizeProviderId } from './providerIds.js';
import type { CostBreakdown, ResolvedModel, UnknownModelPolicy } from './types.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { UnknownModelError } from '../core/UnknownModelError.js';

/** Options of a PricingCatalog. */
export interface PricingOptions {
  /**
   * Custom prices keyed by `model` or `provider/model` (case-insensitive). They win
   * over pricing files, which win over genai-prices and the bundled data. Default {}.
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
  /** Clock used to pick time-dependent prices (e.g. off-peak discounts). Default `() => new Date()`. */
  now?: () => Date;
}

/** One row of the price table (USD per 1M tokens; null when the model has no such price). */
export interface PriceRow {
  provider: string;
  model: string;
  inputPerM: number | null;
  outputPerM: number | null;
  cacheReadPerM: number | null;
  cacheWritePerM: number | null;
  reasoningPerM: number | null;
  /** true when prices rise above an input-size threshold (the row shows the base prices). */
  tiered: boolean;
  source: ResolvedModel['source'];
}

/** A memoised resolution: the model and, when known, its prices. */
interface Resolution {
  resolved: ResolvedModel;
  schedule?: PriceSchedule;
  /**
   * The plain-number prices of a schedule with one unconstrained entry (most models), once
   * computed; null when they need the BigInt path; undefined until first asked for.
   */
  flat?: NumberPrices | null;
}

interface OverrideEntry {
  entry: PriceEntry;
  schedule: PriceSchedule;
}

/** The memo's provider key for lookups without a provider (provider ids never contain NUL). */
const NO_PROVIDER = '\u0000';
/** Entries kept in the resolution cache before the oldest are dropped. */
const MEMO_LIMIT = 10_000;
const DATED_SUFFIX = /(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2})|-latest)$/;

function splitKey(key: string): { provider?: string; model: string } {
  const i = key.indexOf('/');
  return i > 0 ? { provider: key.slice(0, i), model: key.slice(i + 1) } : { model: key };
}

function usdPerM(price: IntegerPrice | undefined): number | null {
  return price === undefined ? null : Number(price.base) / 1e9;
}

/**
 * The price table: @pydantic/genai-prices data, plus the bundled `data/prices.json`
 * (aliases and the few seed models genai-prices lacks), pricing files and overrides.
 * Model resolution runs once per (model, provider) pair and is memoised, so `cost()`
 * on a hot path is a Map lookup plus integer arithmetic.
 */
export class PricingCatalog {
  /** Resolutions by provider (NO_PROVIDER when none was given), then model: lookups build no key strings. */
  private readonly memo = new Map<string, Map<string, Resolution>>();
  private memoSize = 0;
  private readonly overrides = new Map<string, OverrideEntry>();
  private readonly localPatterns: RegExp[];
  private readonly unknownModel: UnknownModelPolicy;
  private readonly now: () => Date;
  private readonly warned = new Set<string>();
  private matches = 0;
  /** The previous (model, provider) pair and its resolution: the common case on a hot path. */
  private lastModel: string | undefined;
  private lastProvider: string | undefined;
  private lastResolution: Resolution | undefined;

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
    this.localPatterns = (options.localModels ?? ['ollama/*', 'lmstudio/*', 'local/*']).map(globToRegExp);
    for (const file of options.files ?? []) {
      for (const entry of loadPricingFile(file)) this.addOverride(entry);
    }
    for (const [key, override] of Object.entries(options.overrides ?? {})) {
      const prices = parsePriceEntry(override, 'pricing.overrides', `[${JSON.stringify(key)}]`);
      this.addOverride({ key, prices });
    }
  }

  /** How many times model matching actually ran (cache misses). For tests and diagnostics. */
  get matchCount(): number {
    return this.matches;
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
      if (!resolved.known && this.unknownModel === 'deny') throw new UnknownModelError(model, provider);
      return {
        totalNanos: 0,
        inputNanos: 0,
        cacheReadNanos: 0,
        cacheWriteNanos: 0,
        outputNanos: 0,
        reasoningNanos: 0,
        requestNanos: 0,
        model: resolved,
      };
    }
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
    return this.row(resolved.provider, resolved.model, schedule, resolved.source);
  }

  /**
   * Every priced model (genai-prices, bundled, pricing files, overrides), sorted by
   * provider then model, with the prices in force now. `provider` filters by provider id.
   */
  list(provider?: string): PriceRow[] {
    const want = provider === undefined ? undefined : normalizeProviderId(provider);
    const rows: PriceRow[] = [];
    for (const id of GENAI_PROVIDER_IDS) {
      if (want !== undefined && want !== id) continue;
      const p = findProvider({ providerId: id });
      if (p === undefined || p.id !== id) continue;
      for (const m of p.models) rows.push(this.row(p.id, m.id, scheduleFromGenai(m), 'genai-prices'));
    }
    for (const entry of loadBundledPrices().models) {
      const key = splitKey(entry.key);
      const p = entry.provider ?? key.provider ?? 'bundled';
      if (want === undefined || normalizeProviderId(p) === want) {
        rows.push(this.row(p, key.model, staticSchedule(entry.prices), 'bundled'));
      }
    }
    for (const { entry, schedule } of this.overrides.values()) {
      const key = splitKey(entry.key);
      const p = entry.provider ?? key.provider ?? 'custom';
      if (want === undefined || normalizeProviderId(p) === want) rows.push(this.row(p, key.model, schedule, 'override'));
    }
    return rows.sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
  }

  private row(provider: string, model: string, schedule: PriceSchedule, source: ResolvedModel['source']): PriceRow {
    const prices: ModelPrices = pricesAt(schedule, this.now());
    return {
      provider,
      model,
      inputPerM: usdPerM(prices.input),
      outputPerM: usdPerM(prices.output),
      cacheReadPerM: usdPerM(prices.cacheRead),
      cacheWritePerM: usdPerM(prices.cacheWrite),
      reasoningPerM: usdPerM(prices.reasoning),
      tiered: isTiered(prices),
      source,
    };
  }

  private addOverride(entry: PriceEntry): void {
    this.overrides.set(entry.key.trim().toLowerCase(), { entry, schedule: staticSchedule(entry.prices) });
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
    // The same pair as the previous call: no key string to build.
    if (this.lastResolution !== undefined && this.lastModel === model && this.lastProvider === provider) return this.lastResolution;
    const resolution = this.lookupMemo(model, provider);
    this.lastModel = model;
    this.lastProvider = provider;
    this.lastResolution = resolution;
    return resolution;
  }

  private lookupMemo(model: string, provider?: string): Resolution {
    const providerKey = provider ?? NO_PROVIDER;
    let byModel = this.memo.get(providerKey);
    const hit = byModel?.get(model);
    if (hit !== undefined) return hit;
    this.matches++;
    const found = this.match(model, provider) ?? this.unknown(model, provider);
    if (this.memoSize >= MEMO_LIMIT) this.evictOldest();
    if (byModel === undefined) {
      byModel = new Map();
      this.memo.set(providerKey, byModel);
    }
    byModel.set(model, found);
    this.memoSize++;
    return found;
  }

  /** Drops the oldest resolution of the provider seen first (bounded memory under endless new ids). */
  private evictOldest(): void {
    for (const [providerKey, byModel] of this.memo) {
      const oldest = byModel.keys().next();
      if (oldest.done !== true) {
        byModel.delete(oldest.value);
        this.memoSize--;
      }
      if (byModel.size === 0) this.memo.delete(providerKey);
      return;
    }
  }


  private unknown(model: string, provider?: string): Resolution {
    const name = model.trim();
    const split = provider === undefined ? splitKey(name) : { provider, model: name };
    if (this.unknownModel === 'warn' && !this.warned.has(name.toLowerCase())) {
      this.warned.add(name.toLowerCase());
      diag.warn(
        `tollgate: no price known for model "${name}"${provider ? ` (provider ${provider})` : ''}; counted as $0. ` +
          'Fix: add pricing.overrides or a pricing file entry for it, or set pricing.unknownModel.',
      );
    }
    return { resolved: { provider: split.provider ?? 'unknown', model: split.model, source: 'unknown', known: false } };
  }

  private match(model: string, provider: string | undefined): Resolution | undefined {
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
    if (this.localPatterns.some((re) => localCandidates.some((c) => re.test(c)))) {
      return {
        resolved: {
          provider: pid ?? prefix ?? 'local',
          model: pid === undefined && rest !== undefined ? rest : name,
          source: 'local',
          known: true,
        },
      };
    }

    // 3. genai-prices matching
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

    // 4. bundled aliases and prices
    const bundled = loadBundledPrices();
    for (const k of keys) {
      const alias = bundled.aliases.get(k);
      if (alias === undefined) continue;
      const target = findProvider({ providerId: alias.provider })?.models.find((m: ModelInfo) => m.id === alias.model);
      if (target !== undefined) return genaiResolution(alias.provider, target);
    }
    for (const entry of bundled.models) {
      const k = entry.key.toLowerCase();
      const split = splitKey(k);
      if (!keys.includes(k) && !keys.includes(split.model)) continue;
      return {
        resolved: { provider: entry.provider ?? split.provider ?? 'bundled', model: split.model, source: 'bundled', known: true },
        schedule: staticSchedule(entry.prices),
      };
    }

    // 5. a dated or -latest id that nothing knew: try without the suffix
    const undated = name.replace(DATED_SUFFIX, '');
    if (undated !== name && undated.length > 0) return this.match(undated, provider);
    return undefined;
  }
}

/** A model's flat prices as plain numbers (nano-USD per 1M tokens); null when a price is tiered or too large. */
interface NumberPrices {
  input: number;
  output: number;
  /** Undefined when the model has no such price (those tokens are then charged at the input / output price). */
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  reasoning: number | undefined;
  /** The per-request fee as a numerator over 1,000,000 (nano-USD × 1e6), 0 when none. */
  requestNumerator: number;
}

const numberPricesOf = new WeakMap<ModelPrices, NumberPrices | null>();
const MILLION = 1_000_000;
const HALF_MILLION = 500_000;
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

function flatNumber(p: IntegerPrice | undefined): number | undefined | null {
  if (p === undefined) return undefined;
  if (p.tiers.length > 0 || p.base > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(p.base);
}

function numberPrices(prices: ModelPrices): NumberPrices | null {
  let cached = numberPricesOf.get(prices);
  if (cached !== undefined) return cached;
  const fields = [prices.input, prices.output, prices.cacheRead, prices.cacheWrite, prices.reasoning, prices.requestsPerK].map(flatNumber);
  if (fields.some((f) => f === null)) {
    cached = null;
  } else {
    const [input, output, cacheRead, cacheWrite, reasoning, requestsPerK] = fields as (number | undefined)[];
    const requestNumerator = requestsPerK !== undefined ? requestsPerK * 1000 : 0;
    cached = requestNumerator > MAX_EXACT ? null : { input: input ?? 0, output: output ?? 0, cacheRead, cacheWrite, reasoning, requestNumerator };
  }
  numberPricesOf.set(prices, cached);
  return cached;
}

/** Half-up division by 1,000,000 of an exact non-negative integer numerator. */
function roundMillionths(exact: number): number {
  const rem = exact % MILLION;
  return (exact - rem) / MILLION + (rem >= HALF_MILLION ? 1 : 0);
}

/** Scratch for the largest-remainder split: pricing is synchronous, so one buffer serves every call. */
const parts = new Float64Array(6);
const remainders = new Float64Array(6);

/**
 * computeCost() in plain numbers, for flat prices whenever every product and the sum stay
 * below 2^53 (so each step is exact): the same validation, half-up total and
 * largest-remainder split, without BigInt or array allocations. Undefined when the BigInt
 * path is needed.
 */
function costWithNumbers(usage: TokenUsage, p: NumberPrices, model: ResolvedModel): CostBreakdown | undefined {
  const input = checkCount('input', usage.input);
  const output = checkCount('output', usage.output);
  const cacheRead = checkCount('cacheRead', usage.cacheRead);
  const cacheWrite = checkCount('cacheWrite', usage.cacheWrite);
  const reasoning = checkCount('reasoning', usage.reasoning);
  if (cacheRead + cacheWrite > input || reasoning > output) {
    checkUsage(usage); // throws the RangeError that names the inconsistent fields
  }
  const cacheReadTokens = p.cacheRead !== undefined ? cacheRead : 0;
  const cacheWriteTokens = p.cacheWrite !== undefined ? cacheWrite : 0;
  const reasoningTokens = p.reasoning !== undefined ? reasoning : 0;
  const n0 = (input - cacheReadTokens - cacheWriteTokens) * p.input;
  const n1 = cacheReadTokens * (p.cacheRead ?? 0);
  const n2 = cacheWriteTokens * (p.cacheWrite ?? 0);
  const n3 = (output - reasoningTokens) * p.output;
  const n4 = reasoningTokens * (p.reasoning ?? 0);
  const n5 = p.requestNumerator;
  const exact = n0 + n1 + n2 + n3 + n4 + n5;
  if (n0 > MAX_EXACT || n1 > MAX_EXACT || n2 > MAX_EXACT || n3 > MAX_EXACT || n4 > MAX_EXACT || exact > MAX_EXACT) return undefined;
  const total = roundMillionths(exact);
  parts[0] = n0;
  parts[1] = n1;
  parts[2] = n2;
  parts[3] = n3;
  parts[4] = n4;
  parts[5] = n5;
  let floorSum = 0;
  for (let i = 0; i < 6; i++) {
    const n = parts[i] as number;
    const rem = n % MILLION;
    remainders[i] = rem;
    parts[i] = (n - rem) / MILLION;
    floorSum += parts[i] as number;
  }
  // The total rounds once; the parts get the missing nanos by largest remainder (lower index on ties).
  for (let missing = total - floorSum; missing > 0; missing--) {
    let best = -1;
    for (let i = 0; i < 6; i++) if ((remainders[i] as number) > 0 && (best < 0 || (remainders[i] as number) > (remainders[best] as number))) best = i;
    if (best < 0) break;
    parts[best] = (parts[best] as number) + 1;
    remainders[best] = 0;
  }
  return {
    totalNanos: total,
    inputNanos: parts[0] as number,
    cacheReadNanos: parts[1] as number,
    cacheWriteNanos: parts[2] as number,
    outputNanos: parts[3] as number,
    reasoningNanos: parts[4] as number,
    requestNanos: parts[5] as number,
    model,
  };
}

/**
 * The total of costWithNumbers() for uncached input and plain output (what a worst-case
 * estimate prices), without building a breakdown. Undefined when the BigInt path is needed.
 */
function totalWithNumbers(input: number, output: number, p: NumberPrices): number | undefined {
  const n0 = input * p.input;
  const n3 = output * p.output;
  const exact = n0 + n3 + p.requestNumerator;
  if (n0 > MAX_EXACT || n3 > MAX_EXACT || exact > MAX_EXACT) return undefined;
  return roundMillionths(exact);
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
