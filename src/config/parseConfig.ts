import type { z } from 'zod';
import { ConfigError } from '../core/ConfigError.js';
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

/** Turns the first zod issue into a ConfigError naming the source and field. */
export function toConfigError(error: z.ZodError, source: string, pathPrefix = ''): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError({ source, path: pathPrefix, expected: 'invalid configuration' });
  const base = formatPath(issue.path);
  const join = (p: string): string => (pathPrefix && p ? `${pathPrefix}.${p}` : pathPrefix || p);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const path = join(formatPath([...issue.path, key]));
    return new ConfigError({ source, path, expected: 'unknown key', fix: `remove ${key} or correct its spelling` });
  }
  const path = join(base);
  const last = [...issue.path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  const fix = FIXES[last] ?? `correct ${path || 'the value'} in ${source}`;
  const details = { source, path, expected: issue.message, fix };
  const noInput = issue.code === 'custom' && issue.params?.noInput === true;
  return !noInput && 'input' in issue && issue.input !== undefined ? new ConfigError({ ...details, got: issue.input }) : new ConfigError(details);
}

/** Validates one configuration layer (no defaults). Throws a ConfigError naming `source`. */
export function parseLayer(input: unknown, source: string): TollgateConfigLayer {
  const result = TollgateConfigLayerSchema.safeParse(camelizeKeys(input ?? {}), { reportInput: true });
  if (!result.success) throw toConfigError(result.error, source);
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
