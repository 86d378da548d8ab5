import { z } from 'zod';
import type { BudgetPer, BudgetSpec, BudgetWhere } from '../core/Budget.js';
import { MAX_BUDGET_USD } from '../core/money.js';
import type { PriceOverride } from '../pricing/PriceOverride.js';
import { CAMEL_PRICE_FIELDS, PRICE_UNITS, unitFieldNames } from '../pricing/priceUnits.js';
import type { UnknownModelPolicy } from '../pricing/types.js';
import { MAX_SETTLE_DELAY_MS } from '../ledger/sqlite/SqliteLedgerOptions.js';
import type { LogLevel } from '../sinks/TollgateLogger.js';
import { AlertsSchema, type AlertConfig } from './alertsSchema.js';
import { RedisSchema, type RedisConfig } from './redisSchema.js';

export type { AlertConfig } from './alertsSchema.js';
export type { RedisConfig } from './redisSchema.js';

/** The whole configuration with every default applied (what `loadConfig` returns). */
export interface TollgateConfig {
  /** 'memory:' | 'sqlite:<path>' | 'redis://host:port/db'. Default 'sqlite:.tollgate/ledger.db'. */
  store: string;
  /** SQLite stores only. */
  sqlite: {
    /** Kept so that older configurations load: both values write the same way (README "Stores"). Default 'transaction'. */
    durability: 'transaction' | 'batched';
    /** No longer used (it was the write interval of 'batched'). Default 100. */
    flushIntervalMs: number;
    /** How long a settlement waits for others to share its transaction, ms (SqliteLedgerOptions.settleDelayMs). Default 20. */
    settleDelayMs?: number;
  };
  /** Redis stores only: key prefix, waits, journal, leases (README "Stores"). Default {}. */
  redis: RedisConfig;
  /** Default []. */
  budgets: BudgetSpec[];
  pricing: {
    /** Custom prices keyed by `model` or `provider/model`. Default {}. */
    overrides: Record<string, PriceOverride>;
    /** JSON pricing files (relative paths in a config file resolve against its folder). Default []. */
    files: string[];
    /** Default 'warn'. */
    unknownModel: UnknownModelPolicy;
    /** Globs of models that cost 0. Default ['ollama/*', 'lmstudio/*', 'local/*']. */
    localModels: string[];
    /** Ollama-style `name:tag` ids (`llama3.1:8b`) are local models and cost 0. Default true. */
    localModelTags: boolean;
    /**
     * A model with no price when a deny or fallback budget applies to the call: 'ceiling' reserves
     * and charges the dearest prices of its provider (never $0); 'deny' refuses the call. Default 'ceiling'.
     */
    unpricedUnderCap: 'ceiling' | 'deny';
  };
  estimation: {
    /** Output tokens reserved when a request sets no max tokens (and the most tollgate sets for it). Default 4096. */
    defaultMaxOutputTokens: number;
    /** Fewer output tokens than this fitting under a cap refuses the call instead of shrinking its limit. Default 16. */
    minOutputTokens: number;
    /** Share added to every input estimate before reserving (0.25 = +25 %), on top of the learned correction. Default 0. */
    inputMargin: number;
  };
  /** true: run-time problems go to OTel diag and tollgate_problems_total only, not to stderr. Default false. */
  quiet: boolean;
  /** Put prompt and completion text on spans. Default false. */
  captureContent: boolean;
  /**
   * What budgets without their own `failMode` do when the store cannot answer: 'open' allows the
   * call (unbudgeted, reported), 'closed' refuses it. Default unset: deny and fallback budgets
   * fail closed, warn budgets fail open.
   */
  failMode?: 'open' | 'closed';
  /** An unsettled reservation stops counting after this long. Default 600000 (10 min). */
  reservationTtlMs: number;
  /** Usage records older than this are pruned (daily rollups stay). Default 30. */
  retentionDays: number;
  server: {
    /** Default '127.0.0.1'. */
    host: string;
    /** Default 9464. */
    port: number;
    /** Bearer token for write routes; none = write routes disabled. Default none. */
    adminToken?: string;
    /**
     * Bearer token for the read routes (/v1/*). Required by `serve()` when it binds to anything but
     * loopback (or when set). The admin token is accepted as a read token too. Default none.
     */
    readToken?: string;
    /**
     * Host header names (without port) the server answers, against DNS rebinding; '*' allows any.
     * Default: the loopback names and the bound host when bound to loopback or one address; any when
     * bound to 0.0.0.0 / :: (the read token is required there).
     */
    allowedHosts?: string[];
    /** Most /v1/events clients at once; more get 503. Default 100. */
    sseMaxClients: number;
    /** Bytes queued for one /v1/events client that does not read before it is disconnected. Default 262144. */
    sseMaxBufferedBytes: number;
    /** Default 65536. */
    maxBodyBytes: number;
  };
  metrics: {
    /** Most per-task series kept (oldest evicted). Default 1000. */
    taskSeriesCap: number;
    /** Most distinct values of each user-reachable label (model, provider, tool...) per metric; the rest count under `_other`. Default 500. */
    labelValueCap: number;
    /** Prefix for Prometheus metric names. Default ''. */
    prefix: string;
  };
  traces: {
    /** Recent traces kept in memory for /v1/traces. Default 200. */
    ringSize: number;
  };
  /** Default []. */
  alerts: AlertConfig[];
  /** Per provider (`gen_ai.provider.name`). Default {}. */
  rateLimits: Record<string, RateLimitConfig>;
  otel: {
    /** Default: OTEL_SERVICE_NAME or the SDK's default. */
    serviceName?: string;
    /** Default 'otlp'. */
    exporter: 'otlp' | 'console' | 'none';
  };
  // Seed features (README "Coming from the seeds"): the global switch and logs.
  /**
   * false turns tollgate into a pass-through: no enforcement, no records, no spans of its own;
   * wrappers call the SDK directly (seed `[telemetry] enabled`, TOLLGATE_ENABLED). Default true.
   */
  enabled: boolean;
  log: {
    /** 'info' logs every call; 'warn' budget warnings and rate limits; 'off' nothing (TOLLGATE_LOG_LEVEL). Default 'warn'. */
    level: LogLevel;
  };
  /** Run the health checks (store, prices) this often, ms, and alert when they start failing; 0 only on /healthz. Default 60000. */
  healthCheckIntervalMs: number;
}

/** Rate limit of one provider. */
export interface RateLimitConfig {
  rpm?: number;
  tpm?: number;
  /** Default 'wait'. */
  onLimit: 'wait' | 'reject';
  /** Default 30000. */
  maxWaitMs: number;
}

/** What callers may pass (`createTollgate(options)`, a config file): everything optional. */
export interface TollgateConfigInput {
  store?: string;
  sqlite?: Partial<TollgateConfig['sqlite']>;
  redis?: RedisConfig;
  /** Seed spellings are accepted too: max_usd, on_exceed, fallback_model, scope per_request / per_session. */
  budgets?: BudgetSpec[];
  pricing?: Partial<TollgateConfig['pricing']>;
  estimation?: Partial<TollgateConfig['estimation']>;
  captureContent?: boolean;
  quiet?: boolean;
  failMode?: TollgateConfig['failMode'];
  reservationTtlMs?: number;
  retentionDays?: number;
  server?: Partial<TollgateConfig['server']>;
  metrics?: Partial<TollgateConfig['metrics']>;
  traces?: Partial<TollgateConfig['traces']>;
  alerts?: (Omit<AlertConfig, 'timeoutMs' | 'retries'> & { timeoutMs?: number; retries?: number })[];
  rateLimits?: Record<string, Partial<RateLimitConfig>>;
  otel?: Partial<TollgateConfig['otel']>;
  enabled?: boolean;
  log?: Partial<TollgateConfig['log']>;
  healthCheckIntervalMs?: number;
}

const SETTLE_DELAY_RANGE = `a whole number of milliseconds from 0 to ${MAX_SETTLE_DELAY_MS}`;
const positiveInt = (what: string): z.ZodNumber =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const nonNegativeInt = (what: string): z.ZodNumber =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).nonnegative({ error: `expected ${what}` });
const text = (what: string): z.ZodString => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

const SCOPES = ['request', 'task', 'session', 'agent', 'daily', 'weekly', 'monthly', 'total'] as const;
const SEED_SCOPES: Readonly<Record<string, string>> = {
  per_request: 'request',
  per_task: 'task',
  per_session: 'session',
  per_agent: 'agent',
};

/** Seed spellings of a budget (scope per_request...) onto the canonical ones. */
function normalizeBudget(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const b = value as Record<string, unknown>;
  return typeof b.scope === 'string' && b.scope in SEED_SCOPES ? { ...b, scope: SEED_SCOPES[b.scope] } : b;
}

export const BudgetSpecSchema = z.preprocess(
  normalizeBudget,
  z
    .strictObject({
      id: text('a non-empty budget id').optional(),
      scope: z.enum(SCOPES, { error: `expected one of ${SCOPES.join(', ')}` }),
      maxUsd: z
        .number({ error: 'expected a number > 0' })
        .positive({ error: 'expected a number > 0' })
        .refine(Number.isFinite, { error: 'expected a number > 0' })
        .refine((usd) => usd <= MAX_BUDGET_USD, { error: 'expected at most 1e15 USD' }),
      onExceed: z.enum(['deny', 'warn', 'fallback'], { error: 'expected deny, warn or fallback' }).optional(),
      fallbackModel: text('a model name').optional(),
      window: z.enum(['calendar', 'rolling'], { error: 'expected calendar or rolling' }).optional(),
      provider: text('a provider id').optional(),
      model: text('a model id').optional(),
      key: text('a task / session / agent id').optional(),
      failMode: z.enum(['open', 'closed'], { error: 'expected open or closed' }).optional(),
      // Attribution filter and per-value counters (checked in full by the budget set: fields, metadata keys, scopes).
      where: z.record(z.string(), text('a dimension value'), { error: 'expected a table of dimension values, e.g. { team = "search" }' })
        .transform((w): BudgetWhere => w)
        .optional(),
      per: text('user, team, apiKey or metadata.<key>')
        .transform((p): BudgetPer => p as BudgetPer)
        .optional(),
      thresholds: z
        .array(z.number({ error: 'expected a fraction in (0, 1]' }).gt(0, { error: 'expected a fraction in (0, 1]' }).lte(1, { error: 'expected a fraction in (0, 1]' }), {
          error: 'expected a list of fractions in (0, 1]',
        })
        .optional(),
    })
    .superRefine((b, ctx) => {
      if (b.onExceed === 'fallback' && b.fallbackModel === undefined) {
        ctx.addIssue({ code: 'custom', path: ['fallbackModel'], message: 'expected a model name when onExceed is "fallback"', params: { noInput: true } });
      }
    }),
);

const price = z
  .number({ error: 'expected a non-negative number of USD' })
  .nonnegative({ error: 'expected a non-negative number of USD' })
  .refine(Number.isFinite, { error: 'expected a non-negative number of USD' });

/**
 * A price override: every field of PriceOverride (camelCase; TOML's snake_case is camelised
 * before), each unit given once. Whether the entry replaces a model's prices or adds to the price
 * data's entry, and whether that model exists, is checked by the PricingCatalog.
 */
export const PriceOverrideSchema = z
  .strictObject(Object.fromEntries(CAMEL_PRICE_FIELDS.map((field) => [field, price.optional()])) as Record<keyof PriceOverride, z.ZodOptional<typeof price>>)
  .superRefine((o, ctx) => {
    const given = Object.entries(o).filter(([, v]) => v !== undefined);
    for (const unit of PRICE_UNITS) {
      const names = unitFieldNames(unit).camel.filter((n) => o[n as keyof PriceOverride] !== undefined);
      const [first, second] = names;
      if (first !== undefined && second !== undefined) {
        ctx.addIssue({ code: 'custom', path: [second], message: `expected only one of ${first} / ${second}`, input: o[second as keyof PriceOverride] });
      }
    }
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'expected at least one price: inputPerM and outputPerM to price the model, or only the units to add to its price-data entry (e.g. codeInterpreterPerCall)',
        input: o,
      });
    }
  });

const STORE_RE = /^(?:memory:$|sqlite:.+|rediss?:\/\/.+)/;

/** One configuration layer (a file, the environment, code options): every field optional, no defaults. */
export const TollgateConfigLayerSchema = z.strictObject({
  store: z
    .string({ error: 'expected "memory:", "sqlite:<path>" or "redis://host:port/db"' })
    .regex(STORE_RE, { error: 'expected "memory:", "sqlite:<path>" or "redis://host:port/db"' })
    .optional(),
  sqlite: z
    .strictObject({
      durability: z.enum(['transaction', 'batched'], { error: 'expected transaction or batched' }).optional(),
      flushIntervalMs: positiveInt('a whole number of milliseconds > 0').optional(),
      settleDelayMs: nonNegativeInt(SETTLE_DELAY_RANGE).max(MAX_SETTLE_DELAY_MS, { error: `expected ${SETTLE_DELAY_RANGE}` }).optional(),
    })
    .optional(),
  redis: RedisSchema.optional(),
  budgets: z.array(BudgetSpecSchema, { error: 'expected a list of budgets' }).optional(),
  pricing: z
    .strictObject({
      overrides: z.record(z.string(), PriceOverrideSchema, { error: 'expected a table of model → prices' }).optional(),
      files: z.array(text('a file path'), { error: 'expected a list of file paths' }).optional(),
      unknownModel: z.enum(['zero', 'warn', 'deny'], { error: 'expected zero, warn or deny' }).optional(),
      localModels: z.array(text('a glob such as "ollama/*"'), { error: 'expected a list of globs' }).optional(),
      localModelTags: z.boolean({ error: 'expected true or false' }).optional(),
      unpricedUnderCap: z.enum(['ceiling', 'deny'], { error: 'expected ceiling or deny' }).optional(),
    })
    .optional(),
  estimation: z
    .strictObject({
      defaultMaxOutputTokens: positiveInt('a whole number of tokens > 0').optional(),
      minOutputTokens: positiveInt('a whole number of tokens > 0').optional(),
      inputMargin: z.number({ error: 'expected a number >= 0 (0.25 adds 25 %)' }).min(0, { error: 'expected a number >= 0 (0.25 adds 25 %)' }).max(100, { error: 'expected a number <= 100' }).optional(),
    })
    .optional(),
  quiet: z.boolean({ error: 'expected true or false' }).optional(),
  captureContent: z.boolean({ error: 'expected true or false' }).optional(),
  failMode: z.enum(['open', 'closed'], { error: 'expected open or closed' }).optional(),
  reservationTtlMs: positiveInt('a whole number of milliseconds > 0').optional(),
  retentionDays: z.number({ error: 'expected a number of days > 0' }).positive({ error: 'expected a number of days > 0' }).optional(),
  server: z
    .strictObject({
      host: text('a host name or IP address').optional(),
      port: nonNegativeInt('a port number 0-65535').max(65535, { error: 'expected a port number 0-65535' }).optional(),
      adminToken: text('a non-empty token').optional(),
      readToken: text('a non-empty token').optional(),
      allowedHosts: z.array(text('a host name, an IP address or "*"'), { error: 'expected a list of host names' }).optional(),
      sseMaxClients: positiveInt('a whole number > 0').optional(),
      sseMaxBufferedBytes: positiveInt('a whole number of bytes > 0').optional(),
      maxBodyBytes: positiveInt('a whole number of bytes > 0').optional(),
    })
    .optional(),
  metrics: z
    .strictObject({
      taskSeriesCap: positiveInt('a whole number > 0').optional(),
      labelValueCap: positiveInt('a whole number > 0').optional(),
      prefix: z.string({ error: 'expected a string' }).regex(/^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/, { error: 'expected a Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)' }).optional(),
    })
    .optional(),
  traces: z.strictObject({ ringSize: positiveInt('a whole number > 0').optional() }).optional(),
  alerts: AlertsSchema.optional(),
  rateLimits: z
    .record(
      z.string(),
      z.strictObject({
        rpm: positiveInt('a whole number of requests per minute > 0').optional(),
        tpm: positiveInt('a whole number of tokens per minute > 0').optional(),
        onLimit: z.enum(['wait', 'reject'], { error: 'expected wait or reject' }).optional(),
        maxWaitMs: nonNegativeInt('a whole number of milliseconds >= 0').optional(),
      }),
      { error: 'expected a table of provider → limits' },
    )
    .optional(),
  otel: z
    .strictObject({
      serviceName: text('a service name').optional(),
      exporter: z.enum(['otlp', 'console', 'none'], { error: 'expected otlp, console or none' }).optional(),
    })
    .optional(),
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  healthCheckIntervalMs: nonNegativeInt('a whole number of milliseconds >= 0 (0: only on /healthz)').optional(),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error', 'off'], { error: 'expected debug, info, warn, error or off' }).optional() }).optional(),
});

/** A validated layer. */
export type TollgateConfigLayer = z.output<typeof TollgateConfigLayerSchema>;

/** Applies every default, once. */
export function applyDefaults(c: TollgateConfigLayer): TollgateConfig {
  const server: TollgateConfig['server'] = {
    host: c.server?.host ?? '127.0.0.1',
    port: c.server?.port ?? 9464,
    maxBodyBytes: c.server?.maxBodyBytes ?? 65536,
    sseMaxClients: c.server?.sseMaxClients ?? 100,
    sseMaxBufferedBytes: c.server?.sseMaxBufferedBytes ?? 262_144,
  };
  if (c.server?.adminToken !== undefined) server.adminToken = c.server.adminToken;
  if (c.server?.readToken !== undefined) server.readToken = c.server.readToken;
  if (c.server?.allowedHosts !== undefined) server.allowedHosts = [...c.server.allowedHosts];
  const otel: TollgateConfig['otel'] = { exporter: c.otel?.exporter ?? 'otlp' };
  if (c.otel?.serviceName !== undefined) otel.serviceName = c.otel.serviceName;
  return {
    store: c.store ?? 'sqlite:.tollgate/ledger.db',
    sqlite: { durability: c.sqlite?.durability ?? 'transaction', flushIntervalMs: c.sqlite?.flushIntervalMs ?? 100, ...(c.sqlite?.settleDelayMs === undefined ? {} : { settleDelayMs: c.sqlite.settleDelayMs }) },
    redis: c.redis ?? {},
    budgets: (c.budgets ?? []) as BudgetSpec[],
    pricing: {
      overrides: c.pricing?.overrides ?? {},
      files: c.pricing?.files ?? [],
      unknownModel: c.pricing?.unknownModel ?? 'warn',
      localModels: c.pricing?.localModels ?? ['ollama/*', 'lmstudio/*', 'local/*'],
      localModelTags: c.pricing?.localModelTags ?? true,
      unpricedUnderCap: c.pricing?.unpricedUnderCap ?? 'ceiling',
    },
    estimation: {
      defaultMaxOutputTokens: c.estimation?.defaultMaxOutputTokens ?? 4096,
      minOutputTokens: c.estimation?.minOutputTokens ?? 16,
      inputMargin: c.estimation?.inputMargin ?? 0,
    },
    quiet: c.quiet ?? false,
    captureContent: c.captureContent ?? false,
    ...(c.failMode !== undefined ? { failMode: c.failMode } : {}),
    reservationTtlMs: c.reservationTtlMs ?? 600_000,
    retentionDays: c.retentionDays ?? 30,
    server,
    metrics: { taskSeriesCap: c.metrics?.taskSeriesCap ?? 1000, labelValueCap: c.metrics?.labelValueCap ?? 500, prefix: c.metrics?.prefix ?? '' },
    traces: { ringSize: c.traces?.ringSize ?? 200 },
    alerts: (c.alerts ?? []).map((a) => ({ ...a, timeoutMs: a.timeoutMs ?? 5000, retries: a.retries ?? 3 })),
    rateLimits: Object.fromEntries(
      Object.entries(c.rateLimits ?? {}).map(([provider, l]) => [
        provider,
        { ...l, onLimit: l.onLimit ?? 'wait', maxWaitMs: l.maxWaitMs ?? 30_000 },
      ]),
    ),
    otel,
    enabled: c.enabled ?? true,
    log: { level: c.log?.level ?? 'warn' },
    healthCheckIntervalMs: c.healthCheckIntervalMs ?? 60_000,
  };
}

/** The full schema: validates one input object and applies the defaults. */
export const TollgateConfigSchema = TollgateConfigLayerSchema.transform(applyDefaults);
