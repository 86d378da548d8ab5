import { diag } from '@opentelemetry/api';
import { ConfigError } from '../config/ConfigError.js';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type { ModelInfo } from '@pydantic/genai-prices';
import { loadBundledPrices } from './bundledPrices.js';
import { checkUsage, computeCost } from './computeCost.js';
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
import type { CostBreakdown, ResolvedModel, TokenUsage, UnknownModelPolicy } from './types.js';
import { UnknownModelError } from './UnknownModelError.js';

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
}

interface OverrideEntry {
  entry: PriceEntry;
  schedule: PriceSchedule;
}

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
  private readonly memo = new Map<string, Resolution>();
  private readonly overrides = new Map<string, OverrideEntry>();
  private readonly localPatterns: RegExp[];
  private readonly unknownModel: UnknownModelPolicy;
  private readonly now: () => Date;
  private readonly warned = new Set<string>();
  private matches = 0;
  private last: { model: string; provider: string | undefined; resolution: Resolution } | undefined;

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
    const { resolved, schedule } = this.lookup(model, provider);
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
    // Most models have one unconstrained price entry: no clock read (and no Date) needed.
    const prices = schedule.entries.length === 1 ? (schedule.entries[0] as PriceSchedule['entries'][number]).prices : pricesAt(schedule, this.now());
    const fast = costWithNumbers(usage, prices);
    return { ...(fast ?? computeCost(usage, prices)), model: resolved };
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

  private lookup(model: string, provider?: string): Resolution {
    // The same pair as the previous call (the common case on a hot path): no key string to build.
    const last = this.last;
    if (last !== undefined && last.model === model && last.provider === provider) return last.resolution;
    const resolution = this.lookupMemo(model, provider);
    this.last = { model, provider, resolution };
    return resolution;
  }

  private lookupMemo(model: string, provider?: string): Resolution {
    const key = provider === undefined ? model : `${provider}\u0000${model}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    this.matches++;
    const found = this.match(model, provider) ?? this.unknown(model, provider);
    if (this.memo.size >= MEMO_LIMIT) {
      const oldest = this.memo.keys().next();
      if (oldest.done !== true) this.memo.delete(oldest.value);
    }
    this.memo.set(key, found);
    return found;
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
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  reasoning: number | undefined;
  requestsPerK: number | undefined;
}

const numberPricesOf = new WeakMap<ModelPrices, NumberPrices | null>();
const MILLION = 1_000_000;

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
    cached = { input: input ?? 0, output: output ?? 0, cacheRead, cacheWrite, reasoning, requestsPerK };
  }
  numberPricesOf.set(prices, cached);
  return cached;
}

/**
 * computeCost() in plain numbers, for flat prices whenever every product and the sum stay
 * below 2^53 (so each step is exact): the same half-up total and largest-remainder split,
 * without BigInt allocations. Undefined when the BigInt path is needed.
 */
function costWithNumbers(usage: TokenUsage, prices: ModelPrices): Omit<CostBreakdown, 'model'> | undefined {
  const p = numberPrices(prices);
  if (p === null) return undefined;
  const u = checkUsage(usage);
  const cacheReadTokens = p.cacheRead !== undefined ? u.cacheRead : 0;
  const cacheWriteTokens = p.cacheWrite !== undefined ? u.cacheWrite : 0;
  const reasoningTokens = p.reasoning !== undefined ? u.reasoning : 0;
  const n0 = (u.input - cacheReadTokens - cacheWriteTokens) * p.input;
  const n1 = cacheReadTokens * (p.cacheRead ?? 0);
  const n2 = cacheWriteTokens * (p.cacheWrite ?? 0);
  const n3 = (u.output - reasoningTokens) * p.output;
  const n4 = reasoningTokens * (p.reasoning ?? 0);
  const n5 = p.requestsPerK !== undefined ? p.requestsPerK * 1000 : 0;
  const exact = n0 + n1 + n2 + n3 + n4 + n5;
  const max = Number.MAX_SAFE_INTEGER;
  if (n0 > max || n1 > max || n2 > max || n3 > max || n4 > max || n5 > max || exact > max) return undefined;
  const numerators = [n0, n1, n2, n3, n4, n5];
  const floors = numerators.map((n) => (n - (n % MILLION)) / MILLION);
  const remainders = numerators.map((n) => n % MILLION);
  const totalRem = exact % MILLION;
  const total = (exact - totalRem) / MILLION + (totalRem >= MILLION / 2 ? 1 : 0);
  let missing = total - floors.reduce((a, b) => a + b, 0);
  while (missing > 0) {
    // The largest remainder left (the lower index on ties) gets one more nano.
    let best = -1;
    for (let i = 0; i < 6; i++) if ((remainders[i] as number) > 0 && (best < 0 || (remainders[i] as number) > (remainders[best] as number))) best = i;
    if (best < 0) break;
    floors[best] = (floors[best] as number) + 1;
    remainders[best] = 0;
    missing--;
  }
  return {
    totalNanos: total,
    inputNanos: floors[0] as number,
    cacheReadNanos: floors[1] as number,
    cacheWriteNanos: floors[2] as number,
    outputNanos: floors[3] as number,
    reasoningNanos: floors[4] as number,
    requestNanos: floors[5] as number,
  };
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
