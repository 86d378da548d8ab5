import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { BudgetSpec } from '../core/Budget.js';
import { ConfigError } from '../core/ConfigError.js';
import { parseLayer } from './parseConfig.js';
import { applyDefaults } from './schema.js';
import type { TollgateConfig, TollgateConfigInput, TollgateConfigLayer } from './schema.js';
import { readTextFile } from '../core/readTextFile.js';

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** Config file to read. Default: TOLLGATE_CONFIG, else `tollgate.toml`, else `tollgate.json` in `cwd` (none is fine). */
  file?: string;
  /** Read no file at all (only env and overrides). Default false. */
  noFile?: boolean;
  /** Environment to read TOLLGATE_* from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Folder where the default file names are looked for. Default `process.cwd()`. */
  cwd?: string;
  /** Highest-precedence values (what `createTollgate(options)` passes). Default none. */
  overrides?: TollgateConfigInput;
}

const OVERRIDES_SOURCE = 'createTollgate() options';

/** Which env variable sets which field (for naming it in errors). */
const ENV_FIELDS: readonly [string, string][] = [
  ['TOLLGATE_STORE', 'store'],
  ['TOLLGATE_SQLITE_DURABILITY', 'sqlite.durability'],
  ['TOLLGATE_ADMIN_TOKEN', 'server.adminToken'],
  ['TOLLGATE_READ_TOKEN', 'server.readToken'],
  ['TOLLGATE_ALLOWED_HOSTS', 'server.allowedHosts'],
  // The GenAI semconv variable; TOLLGATE_CAPTURE_CONTENT is its older alias (the standard one wins when both are set).
  ['TOLLGATE_CAPTURE_CONTENT', 'captureContent'],
  ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'captureContent'],
  ['TOLLGATE_QUIET', 'quiet'],
  ['TOLLGATE_UNKNOWN_MODEL', 'pricing.unknownModel'],
  ['TOLLGATE_PRICING_FILE', 'pricing.files'],
  ['TOLLGATE_PORT', 'server.port'],
  ['TOLLGATE_HOST', 'server.host'],
  ['TOLLGATE_FAIL_MODE', 'failMode'],
  ['TOLLGATE_DAILY_BUDGET_USD', 'budgets'],
  ['TOLLGATE_ENABLED', 'enabled'],
  ['TOLLGATE_LOG_LEVEL', 'log.level'],
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Picks the tollgate part of a parsed file: a `[tollgate]` table, the seed's `[telemetry]` table, or the top level. */
function tollgateSection(doc: Record<string, unknown>): unknown {
  if (isRecord(doc.tollgate)) return doc.tollgate;
  if (isRecord(doc.telemetry)) {
    // seed shape: [telemetry] enabled, [[telemetry.budgets]], [telemetry.custom_pricing."p/m"]
    const { custom_pricing: customPricing, customPricing: camel, ...rest } = doc.telemetry;
    const overrides = customPricing ?? camel;
    if (overrides === undefined) return rest;
    const pricing = isRecord(rest.pricing) ? rest.pricing : {};
    return { ...rest, pricing: { ...pricing, overrides } };
  }
  return doc;
}

function readConfigFile(path: string): TollgateConfigLayer {
  const text = readTextFile(path, 'config file', 'check --config / TOLLGATE_CONFIG');
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseToml(text);
  } catch (err: unknown) {
    const kind = path.toLowerCase().endsWith('.json') ? 'JSON' : 'TOML';
    const at = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new ConfigError({ source: path, path: '', expected: `expected valid ${kind}${at} (${reason})`, fix: `correct the ${kind} syntax` });
  }
  if (!isRecord(doc)) throw new ConfigError({ source: path, path: '', expected: 'expected a table / object of settings', got: doc });
  const layer = parseLayer(tollgateSection(doc), path);
  // pricing files named in a config file are relative to that file
  if (layer.pricing?.files !== undefined) {
    layer.pricing.files = layer.pricing.files.map((f) => (isAbsolute(f) ? f : resolve(dirname(path), f)));
  }
  return layer;
}

/**
 * Seed 001: a `.env` file in the working directory is loaded into process.env once (Node's
 * `process.loadEnvFile`, Node >= 20.12); variables already set in the environment win.
 */
function loadDotEnv(cwd: string): void {
  const path = resolve(cwd, '.env');
  if (loadedEnvFiles.has(path) || !existsSync(path) || typeof process.loadEnvFile !== 'function') return;
  loadedEnvFiles.add(path);
  try {
    process.loadEnvFile(path);
  } catch (err: unknown) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new ConfigError({ source: path, path: '', expected: `expected KEY=value lines (${reason})`, fix: 'correct the .env file or remove it' });
  }
}
const loadedEnvFiles = new Set<string>();

function findConfigFile(options: LoadConfigOptions, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (options.noFile === true) return undefined;
  if (options.file !== undefined) return resolve(cwd, options.file);
  const fromEnv = env.TOLLGATE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  for (const name of ['tollgate.toml', 'tollgate.json']) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** An env string as the JSON type its field expects, so zod can report the original text when it is wrong. */
function envValue(name: string, raw: string, cwd: string): unknown {
  switch (name) {
    case 'TOLLGATE_CAPTURE_CONTENT':
    case 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT':
    case 'TOLLGATE_ENABLED':
    case 'TOLLGATE_QUIET': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return raw;
    }
    case 'TOLLGATE_PORT':
    case 'TOLLGATE_DAILY_BUDGET_USD':
      return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(raw) ? Number(raw) : raw;
    case 'TOLLGATE_ALLOWED_HOSTS':
      return raw
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h.length > 0);
    case 'TOLLGATE_PRICING_FILE':
      return raw
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0)
        .map((f) => resolve(cwd, f));
    case 'TOLLGATE_LOG_LEVEL':
      return raw.trim().toLowerCase();
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isRecord(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] ?? path] = value;
}

/** The TOLLGATE_* variables as one layer; each is validated on its own so errors name the variable. */
function readEnv(env: NodeJS.ProcessEnv, cwd: string): TollgateConfigLayer {
  const layer: Record<string, unknown> = {};
  for (const [name, field] of ENV_FIELDS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = envValue(name, raw, cwd);
    const single: Record<string, unknown> = {};
    const fieldValue = name === 'TOLLGATE_DAILY_BUDGET_USD' ? [{ id: 'daily', scope: 'daily', maxUsd: value, onExceed: 'deny' }] : value;
    setPath(single, field, fieldValue);
    try {
      parseLayer(single, `env ${name}`);
    } catch (err: unknown) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError({
        source: `env ${name}`,
        path: '',
        expected: err.expected,
        got: raw,
        fix: `set ${name} to a valid value or unset it`,
      });
    }
    setPath(layer, field, fieldValue);
  }
  return parseLayer(layer, 'env');
}

/** Objects merge key by key; arrays and scalars replace; model and provider tables merge per entry. */
function merge(base: Record<string, unknown>, top: Record<string, unknown>, path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    if (value === undefined) continue;
    const here = path ? `${path}.${key}` : key;
    const prev = out[key];
    const perEntry = here === 'pricing.overrides' || here === 'rateLimits';
    if (isRecord(prev) && isRecord(value)) out[key] = perEntry ? { ...prev, ...value } : merge(prev, value, here);
    else out[key] = value;
  }
  return out;
}

/** A daily budget without filters is the one TOLLGATE_DAILY_BUDGET_USD replaces. */
function isPlainDaily(b: BudgetSpec): boolean {
  return b.id === 'daily' || (b.id === undefined && b.scope === 'daily' && !b.provider && !b.model && !b.key);
}

/**
 * Loads the configuration (and, unless `env` or `noFile` is given, `.env` from `cwd` into
 * process.env first). Precedence, lowest first: defaults, the config file
 * (`file`, else TOLLGATE_CONFIG, else tollgate.toml / tollgate.json in cwd; TOML may
 * use a `[tollgate]` table, the seed's `[telemetry]` table or the top level), the
 * TOLLGATE_* environment, then `overrides`. Objects merge; arrays replace, except that
 * TOLLGATE_PRICING_FILE adds to the file's pricing files and TOLLGATE_DAILY_BUDGET_USD
 * adds (or replaces) the plain daily deny budget. Throws a ConfigError naming the
 * source (file, env variable, options) and the field.
 */
export function loadConfig(options: LoadConfigOptions = {}): TollgateConfig {
  const cwd = options.cwd ?? process.cwd();
  if (options.env === undefined && options.noFile !== true) loadDotEnv(cwd);
  const env = options.env ?? process.env;
  const path = findConfigFile(options, env, cwd);
  const fileLayer: TollgateConfigLayer = path === undefined ? {} : readConfigFile(path);
  const envLayer = readEnv(env, cwd);
  const codeLayer = parseLayer(options.overrides ?? {}, OVERRIDES_SOURCE);

  let merged = merge(fileLayer as Record<string, unknown>, envLayer as Record<string, unknown>) as TollgateConfigLayer;
  if (envLayer.pricing?.files !== undefined) {
    merged = { ...merged, pricing: { ...merged.pricing, files: [...(fileLayer.pricing?.files ?? []), ...envLayer.pricing.files] } };
  }
  if (envLayer.budgets !== undefined) {
    const fileBudgets = ((fileLayer.budgets ?? []) as BudgetSpec[]).filter((b) => !isPlainDaily(b));
    merged = { ...merged, budgets: [...fileBudgets, ...envLayer.budgets] };
  }
  merged = merge(merged as Record<string, unknown>, codeLayer as Record<string, unknown>) as TollgateConfigLayer;
  // Seed 001: ./pricing.json is read when no layer names pricing files (`files = []` reads none).
  const defaultPricing = resolve(cwd, 'pricing.json');
  if (merged.pricing?.files === undefined && options.noFile !== true && existsSync(defaultPricing)) {
    merged = { ...merged, pricing: { ...merged.pricing, files: [defaultPricing] } };
  }
  return applyDefaults(merged);
}
