import { apiKeyHash } from '../core/apiKeyHash.js';
import { METADATA_KEY_PATTERN } from '../core/attributionInput.js';
import type { BudgetPer, BudgetScope, BudgetWhere } from '../core/Budget.js';
import { BudgetConfigError } from '../core/BudgetConfigError.js';

/** The attribution fields of a call a budget's `where` and `per` read. */
export interface DimensionContext {
  user?: string;
  team?: string;
  apiKeyHash?: string;
  tags?: readonly string[];
  /** The caller's metadata (a call being admitted). */
  meta?: Readonly<Record<string, string>>;
  /** Record metadata (a record settled without an admission), read when `meta` lacks the key. */
  metadata?: Readonly<Record<string, string | number | boolean>>;
}

const PLAIN_FIELDS = ['user', 'team', 'apiKey', 'tag'] as const;
/** The scopes `per` works with: one counter per value and window. */
const PER_SCOPES: ReadonlySet<BudgetScope> = new Set<BudgetScope>(['daily', 'weekly', 'monthly', 'total']);

/** The call's value of one dimension field (`tag` is multi-valued: not here); undefined when it has none. */
export function dimensionValue(ctx: DimensionContext, field: BudgetPer | 'tag'): string | undefined {
  switch (field) {
    case 'user':
      return ctx.user;
    case 'team':
      return ctx.team;
    case 'apiKey':
      return ctx.apiKeyHash;
    case 'tag':
      return undefined;
    default: {
      const key = field.slice('metadata.'.length);
      const value = ctx.meta?.[key] ?? ctx.metadata?.[key];
      return value === undefined ? undefined : String(value);
    }
  }
}

/** Whether the call carries every value of `where`. */
export function matchesBudgetWhere(where: BudgetWhere, ctx: DimensionContext): boolean {
  for (const field of Object.keys(where) as (keyof BudgetWhere)[]) {
    const wanted = where[field];
    if (wanted === undefined) continue;
    if (field === 'tag') {
      if (ctx.tags === undefined || !ctx.tags.includes(wanted)) return false;
    } else if (dimensionValue(ctx, field as BudgetPer) !== wanted) return false;
  }
  return true;
}

/** `where` as it reads in ids, keys and messages: `team=search,tag=batch` (fields in where order). */
export function describeWhere(where: BudgetWhere): string {
  return Object.entries(where)
    .map(([field, value]) => `${field}=${String(value)}`)
    .join(',');
}

/** The index probes of a call: `field=value` for each dimension value it carries (each tag, each metadata key). */
export function probesOf(ctx: DimensionContext): string[] {
  const probes: string[] = [];
  if (ctx.user !== undefined) probes.push(`user=${ctx.user}`);
  if (ctx.team !== undefined) probes.push(`team=${ctx.team}`);
  if (ctx.apiKeyHash !== undefined) probes.push(`apiKey=${ctx.apiKeyHash}`);
  if (ctx.tags !== undefined) for (const tag of ctx.tags) probes.push(`tag=${tag}`);
  const seen = new Set<string>();
  for (const source of [ctx.meta, ctx.metadata]) {
    if (source === undefined) continue;
    for (const key of Object.keys(source)) {
      if (seen.has(key)) continue;
      seen.add(key);
      probes.push(`metadata.${key}=${String(source[key])}`);
    }
  }
  return probes;
}

/** The probe a where-budget is indexed under: its first field (where keys are in a fixed order after normalising). */
export function indexProbeOf(where: BudgetWhere): string {
  const [field, value] = Object.entries(where)[0] as [string, string];
  return `${field}=${value}`;
}

/**
 * Validates a budget's `where`: an object of non-empty strings on user, team, apiKey (the key or
 * its hash; stored hashed), tag and `metadata.<key>`. Returns it with fields in that order.
 */
export function normalizeWhere(value: unknown, path: string): BudgetWhere | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BudgetConfigError(path, `must be an object of dimension values, e.g. { team: "search" } or { "metadata.env": "prod" }`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw new BudgetConfigError(path, 'must name at least one of user, team, apiKey, tag, metadata.<key> (or leave where out)');
  const out: Record<string, string> = {};
  for (const [field, v] of entries) {
    if (!isWhereField(field)) {
      throw new BudgetConfigError(`${path}.${field}`, `is not a dimension; use user, team, apiKey, tag or metadata.<key> (key: 1-64 of A-Z a-z 0-9 _ . : -)`);
    }
    if (typeof v !== 'string' || v === '') throw new BudgetConfigError(`${path}.${field}`, `must be a non-empty string; got ${JSON.stringify(v)}`);
  }
  for (const field of PLAIN_FIELDS) {
    const v = (value as Record<string, string | undefined>)[field];
    if (v !== undefined) out[field] = field === 'apiKey' ? apiKeyHash(v) : v;
  }
  for (const [field, v] of entries.filter(([f]) => f.startsWith('metadata.')).sort(([a], [b]) => (a < b ? -1 : 1))) out[field] = v as string;
  return out as BudgetWhere;
}

/** Validates a budget's `per` (user, team, apiKey or metadata.<key>) against its scope. */
export function normalizePer(value: unknown, scope: BudgetScope, path: string): BudgetPer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === 'tag' || !isWhereField(value)) {
    throw new BudgetConfigError(path, `must be one of user, team, apiKey, metadata.<key> (one counter per distinct value; not tag, a call may carry several); got ${JSON.stringify(value)}`);
  }
  if (!PER_SCOPES.has(scope)) {
    throw new BudgetConfigError(path, `applies to daily, weekly, monthly and total budgets; a ${scope} budget already counts per ${scope === 'request' ? 'call' : `${scope} id`}`);
  }
  return value as BudgetPer;
}

function isWhereField(field: string): boolean {
  return (PLAIN_FIELDS as readonly string[]).includes(field) || (field.startsWith('metadata.') && METADATA_KEY_PATTERN.test(field.slice('metadata.'.length)));
}

/**
 * A call context that a budget with this `where` applies to, carrying `perValue` as its `per`
 * dimension (what status reads a counter through).
 */
export function contextFor(where: BudgetWhere | undefined, per: BudgetPer | undefined, perValue: string | undefined): DimensionContext {
  const ctx: DimensionContext = {};
  const meta: Record<string, string> = {};
  const set = (field: string, value: string): void => {
    if (field === 'user') ctx.user = value;
    else if (field === 'team') ctx.team = value;
    else if (field === 'apiKey') ctx.apiKeyHash = value;
    else if (field === 'tag') ctx.tags = [value];
    else meta[field.slice('metadata.'.length)] = value;
  };
  for (const [field, value] of Object.entries(where ?? {})) if (value !== undefined) set(field, value);
  if (per !== undefined && perValue !== undefined) set(per, perValue);
  if (Object.keys(meta).length > 0) ctx.meta = meta;
  return ctx;
}

/** The `per` value inside a counter key made for the budget (`team=search,user=alice` → `alice`). */
export function perValueOf(where: BudgetWhere | undefined, per: BudgetPer, counter: string): string | undefined {
  const prefix = where === undefined ? `${per}=` : `${describeWhere(where)},${per}=`;
  return counter.startsWith(prefix) ? counter.slice(prefix.length) : undefined;
}
