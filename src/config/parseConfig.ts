import type { z } from 'zod';
import { ConfigError, type ConfigErrorDetails } from '../core/ConfigError.js';
import { didYouMean } from '../core/didYouMean.js';
import { applyDefaults, TollgateConfigLayerSchema } from './schema.js';
import type { TollgateConfig, TollgateConfigLayer } from './schema.js';

/** `budgets[1].maxUsd`, `pricing.overrides["my/model"].inputPerM`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** Fix hints by field name; the default is to correct the field in its source. */
const FIXES: Readonly<Record<string, string>> = {
  maxUsd: 'give the limit in USD, e.g. maxUsd = 5 (max_usd in TOML)',
  fallbackModel: 'add fallbackModel (the cheaper model to switch to) or use onExceed "deny" / "warn"',
  scope: 'use request, task, session, agent, daily, weekly, monthly or total (per_request / per_session also work)',
  store: 'use "memory:", "sqlite:.tollgate/ledger.db" or "redis://127.0.0.1:6379/0"',
  thresholds: 'use fractions of the limit, e.g. [0.5, 0.8, 1]',
  unknownModel: "use 'zero', 'warn' or 'deny'",
  unpricedUnderCap: "use 'ceiling' (charge an unpriced model at its provider's dearest prices) or 'deny' (refuse it under a cap)",
  minOutputTokens: 'use a whole number of tokens, e.g. 16 (min_output_tokens in TOML)',
  inputMargin: 'give the share added to input estimates, e.g. 0.25 for +25 % (input_margin in TOML; 0 for none)',
  port: 'use a port such as 9464',
};

/** Snake-case keys (TOML, the seeds) → camelCase, leaving the keys of model / provider / header tables alone. */
export function camelizeKeys(value: unknown, path: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => camelizeKeys(v, [...path, '*']));
  if (typeof value !== 'object' || value === null) return value;
  const joined = path.join('.');
  const keepKeys = joined === 'pricing.overrides' || joined === 'rateLimits' || joined.endsWith('headers');
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const k = keepKeys ? key : key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    out[k] = camelizeKeys(v, [...path, keepKeys ? '*' : k]);
  }
  return out;
}

/** The keys a schema accepts at `path` (through optional, pipe, array and record), for "did you mean". */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const step = (next: unknown): void => {
    def = (next as { _zod: { def: Record<string, unknown> } })._zod.def;
  };
  for (let i = 0; i <= path.length; ) {
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') step(def.innerType);
    else if (def.type === 'pipe') step(def.out);
    else if (i === path.length) break;
    else if (def.type === 'object') {
      const shape = def.shape as Record<string, unknown>;
      const key = String(path[i++]);
      if (!(key in shape)) return [];
      step(shape[key]);
    } else if (def.type === 'array') {
      i++;
      step(def.element);
    } else if (def.type === 'record') {
      i++;
      step(def.valueType);
    } else return [];
  }
  return def.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : [];
}

/** One zod issue as the details of a ConfigError (an unknown key gives one per key). */
function issueDetails(issue: z.core.$ZodIssue, source: string, pathPrefix: string, schema: z.ZodType | undefined): ConfigErrorDetails[] {
  const join = (p: string): string => (pathPrefix && p ? `${pathPrefix}.${p}` : pathPrefix || p);
  if (issue.code === 'unrecognized_keys') {
    const known = schema === undefined ? [] : keysAt(schema, issue.path);
    // A key one table too high (`unpricedUnderCap` for `pricing.unpricedUnderCap`) is a likely mistake too.
    const nested = schema === undefined ? [] : known.flatMap((k) => keysAt(schema, [...issue.path, k]).map((child) => `${k}.${child}`));
    return issue.keys.map((key) => {
      const guess = didYouMean(key, known);
      const moved = guess === undefined ? nested.find((n) => n.endsWith(`.${key}`)) ?? didYouMean(key, nested) : undefined;
      const fix =
        guess !== undefined
          ? `did you mean ${guess}? (rename ${key} to ${guess})`
          : moved !== undefined
            ? `did you mean ${moved}? (move it into the ${moved.slice(0, moved.lastIndexOf('.'))} table)`
            : `remove ${key} or correct its spelling`;
      return { source, path: join(formatPath([...issue.path, key])), expected: 'unknown key', fix };
    });
  }
  const path = join(formatPath(issue.path));
  const last = [...issue.path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  let fix = FIXES[last] ?? `correct ${path || 'the value'} in ${source}`;
  if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
    const guess = didYouMean(issue.input, issue.values.map(String));
    if (guess !== undefined) fix = `did you mean "${guess}"?`;
  }
  const details: ConfigErrorDetails = { source, path, expected: issue.message, fix };
  const noInput = issue.code === 'custom' && issue.params?.noInput === true;
  if (!noInput && 'input' in issue && issue.input !== undefined) details.got = issue.input;
  return [details];
}

/**
 * Turns every zod issue into one ConfigError naming the source and the fields: the first mistake
 * is its message's first line, the others follow, so a file is corrected in one pass. Unknown keys
 * and enum values close to a known one say "did you mean" (keys looked up in `schema`).
 */
export function toConfigError(error: z.ZodError, source: string, pathPrefix = '', schema?: z.ZodType): ConfigError {
  const all = error.issues.flatMap((issue) => issueDetails(issue, source, pathPrefix, schema));
  const [first, ...more] = all;
  if (first === undefined) return new ConfigError({ source, path: pathPrefix, expected: 'invalid configuration' });
  return new ConfigError(more.length > 0 ? { ...first, more } : first);
}

/** Validates one configuration layer (no defaults). Throws a ConfigError naming `source`. */
export function parseLayer(input: unknown, source: string): TollgateConfigLayer {
  const result = TollgateConfigLayerSchema.safeParse(camelizeKeys(input ?? {}), { reportInput: true });
  if (!result.success) throw toConfigError(result.error, source, '', TollgateConfigLayerSchema);
  return result.data;
}

/**
 * Validates a configuration object and applies the defaults. Snake-case keys and the
 * seed budget spellings are accepted. `source` names where it came from in errors
 * (a file path, `createTollgate() options`...).
 */
export function parseConfig(input: unknown, source: string): TollgateConfig {
  return applyDefaults(parseLayer(input, source));
}
