import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { ConfigError } from '../../src/core/ConfigError.js';
import { createTollgate } from '../../src/createTollgate.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { parseConfig } from '../../src/config/parseConfig.js';
import { TollgateConfigSchema } from '../../src/config/schema.js';
import type { TollgateConfig } from '../../src/config/schema.js';

const DEFAULTS: TollgateConfig = {
  store: 'sqlite:.tollgate/ledger.db',
  sqlite: { durability: 'transaction', flushIntervalMs: 100 },
  redis: {},
  budgets: [],
  pricing: { overrides: {}, files: [], unknownModel: 'warn', localModels: ['ollama/*', 'lmstudio/*', 'local/*'], localModelTags: true, unpricedUnderCap: 'ceiling' },
  estimation: { defaultMaxOutputTokens: 4096, minOutputTokens: 16, inputMargin: 0 },
  quiet: false,
  captureContent: false,
  reservationTtlMs: 600_000,
  retentionDays: 30,
  server: { host: '127.0.0.1', port: 9464, maxBodyBytes: 65536, sseMaxClients: 100, sseMaxBufferedBytes: 262_144 },
  metrics: { taskSeriesCap: 1000, labelValueCap: 500, prefix: '' },
  traces: { ringSize: 200 },
  alerts: [],
  rateLimits: {},
  otel: { exporter: 'otlp' },
  enabled: true,
  log: { level: 'warn' },
  healthCheckIntervalMs: 60_000,
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tollgate-config-'));
}

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('applies every default once when nothing is configured', () => {
    expect(loadConfig({ cwd: tempDir(), env: {} })).toEqual(DEFAULTS);
    expect(TollgateConfigSchema.parse({})).toEqual(DEFAULTS);
    expect(parseConfig({}, 'test')).toEqual(DEFAULTS);
  });

  it('fills nested defaults around given values', () => {
    const c = parseConfig(
      {
        server: { port: 0 },
        alerts: [{ type: 'slack', url: 'https://hooks.slack.test/x' }],
        rateLimits: { openai: { rpm: 60 } },
      },
      'test',
    );
    expect(c.server).toEqual({ host: '127.0.0.1', port: 0, maxBodyBytes: 65536, sseMaxClients: 100, sseMaxBufferedBytes: 262_144 });
    expect(c.alerts).toEqual([{ type: 'slack', url: 'https://hooks.slack.test/x', timeoutMs: 5000, retries: 3 }]);
    expect(c.rateLimits).toEqual({ openai: { rpm: 60, onLimit: 'wait', maxWaitMs: 30_000 } });
  });
});

describe('files', () => {
  it('reads a [tollgate] table from tollgate.toml with snake_case keys', () => {
    const dir = tempDir();
    write(
      dir,
      'tollgate.toml',
      `[tollgate]
store = "memory:"
capture_content = true

[[tollgate.budgets]]
scope = "daily"
max_usd = 20
on_exceed = "deny"

[[tollgate.budgets]]
scope = "per_request"
max_usd = 0.5
on_exceed = "fallback"
fallback_model = "gpt-4o-mini"

[tollgate.pricing.overrides."my-provider/my-model"]
input_per_m = 1.5
output_per_m = 4

[tollgate.rate_limits.openai]
rpm = 500
on_limit = "reject"
`,
    );
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.store).toBe('memory:');
    expect(c.captureContent).toBe(true);
    expect(c.budgets).toEqual([
      { scope: 'daily', maxUsd: 20, onExceed: 'deny' },
      { scope: 'request', maxUsd: 0.5, onExceed: 'fallback', fallbackModel: 'gpt-4o-mini' },
    ]);
    expect(c.pricing.overrides).toEqual({ 'my-provider/my-model': { inputPerM: 1.5, outputPerM: 4 } });
    expect(c.rateLimits).toEqual({ openai: { rpm: 500, onLimit: 'reject', maxWaitMs: 30_000 } });
  });

  it('reads the estimation fields, pricing.unpriced_under_cap and quiet', () => {
    const dir = tempDir();
    write(
      dir,
      'tollgate.toml',
      `quiet = true
[pricing]
unpriced_under_cap = "deny"
[estimation]
default_max_output_tokens = 2048
min_output_tokens = 32
input_margin = 0.25
`,
    );
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.quiet).toBe(true);
    expect(c.pricing.unpricedUnderCap).toBe('deny');
    expect(c.estimation).toEqual({ defaultMaxOutputTokens: 2048, minOutputTokens: 32, inputMargin: 0.25 });
    // A layer that sets one estimation field keeps the others from below.
    const merged = loadConfig({ cwd: dir, env: {}, overrides: { estimation: { inputMargin: 0 } } });
    expect(merged.estimation).toEqual({ defaultMaxOutputTokens: 2048, minOutputTokens: 32, inputMargin: 0 });
  });

  it("accepts the seed's [telemetry] table", () => {
    const dir = tempDir();
    write(
      dir,
      'tollgate.toml',
      `[telemetry]
enabled = true

[[telemetry.budgets]]
scope = "daily"
max_usd = 5.00
on_exceed = "deny"

[[telemetry.budgets]]
scope = "per_session"
max_usd = 0.50
on_exceed = "warn"

[telemetry.custom_pricing."my-provider/my-model"]
input_per_m = 1.50
output_per_m = 4.00
`,
    );
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.budgets).toEqual([
      { scope: 'daily', maxUsd: 5, onExceed: 'deny' },
      { scope: 'session', maxUsd: 0.5, onExceed: 'warn' },
    ]);
    expect(c.pricing.overrides).toEqual({ 'my-provider/my-model': { inputPerM: 1.5, outputPerM: 4 } });
  });

  it('reads tollgate.json when there is no tollgate.toml, and resolves pricing files against its folder', () => {
    const dir = tempDir();
    write(dir, 'tollgate.json', JSON.stringify({ store: 'memory:', pricing: { files: ['prices/extra.json'] } }));
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.store).toBe('memory:');
    expect(c.pricing.files).toEqual([join(dir, 'prices/extra.json')]);
  });

  it('takes the file from options.file, else TOLLGATE_CONFIG, else cwd', () => {
    const dir = tempDir();
    write(dir, 'tollgate.toml', 'store = "sqlite:cwd.db"\n');
    const fromEnv = write(dir, 'env.toml', 'store = "sqlite:env.db"\n');
    const explicit = write(dir, 'explicit.toml', 'store = "sqlite:explicit.db"\n');
    expect(loadConfig({ cwd: dir, env: {} }).store).toBe('sqlite:cwd.db');
    expect(loadConfig({ cwd: dir, env: { TOLLGATE_CONFIG: fromEnv } }).store).toBe('sqlite:env.db');
    expect(loadConfig({ cwd: dir, env: { TOLLGATE_CONFIG: fromEnv }, file: explicit }).store).toBe('sqlite:explicit.db');
    expect(loadConfig({ cwd: dir, env: {}, noFile: true }).store).toBe(DEFAULTS.store);
  });
});

describe('precedence: defaults < file < env < options', () => {
  it('lets env override the file and options override env', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'p'));
    write(
      dir,
      'tollgate.toml',
      `store = "sqlite:file.db"
fail_mode = "closed"
[server]
host = "0.0.0.0"
port = 1000
[pricing]
files = ["p/file.json"]
unknown_model = "zero"
[[budgets]]
scope = "daily"
max_usd = 10
on_exceed = "warn"
[[budgets]]
scope = "task"
max_usd = 1
`,
    );
    const env = {
      TOLLGATE_STORE: 'redis://127.0.0.1:6379/3',
      TOLLGATE_PORT: '2000',
      TOLLGATE_ADMIN_TOKEN: 'secret',
      TOLLGATE_CAPTURE_CONTENT: 'yes',
      TOLLGATE_UNKNOWN_MODEL: 'deny',
      TOLLGATE_PRICING_FILE: 'env-prices.json',
      TOLLGATE_FAIL_MODE: 'open',
      TOLLGATE_DAILY_BUDGET_USD: '25',
      TOLLGATE_SQLITE_DURABILITY: 'batched',
    };
    const fromEnv = loadConfig({ cwd: dir, env });
    expect(fromEnv.store).toBe('redis://127.0.0.1:6379/3');
    expect(fromEnv.sqlite).toEqual({ durability: 'batched', flushIntervalMs: 100 });
    expect(fromEnv.server).toEqual({ host: '0.0.0.0', port: 2000, adminToken: 'secret', maxBodyBytes: 65536, sseMaxClients: 100, sseMaxBufferedBytes: 262_144 });
    expect(fromEnv.captureContent).toBe(true);
    expect(fromEnv.failMode).toBe('open');
    expect(fromEnv.pricing.unknownModel).toBe('deny');
    expect(fromEnv.pricing.files).toEqual([join(dir, 'p/file.json'), join(dir, 'env-prices.json')]);
    expect(fromEnv.budgets).toEqual([
      { scope: 'task', maxUsd: 1 },
      { id: 'daily', scope: 'daily', maxUsd: 25, onExceed: 'deny' },
    ]);

    const fromOptions = loadConfig({
      cwd: dir,
      env,
      overrides: { store: 'memory:', server: { port: 3000 }, budgets: [{ scope: 'total', maxUsd: 100 }] },
    });
    expect(fromOptions.store).toBe('memory:');
    expect(fromOptions.server).toEqual({ host: '0.0.0.0', port: 3000, adminToken: 'secret', maxBodyBytes: 65536, sseMaxClients: 100, sseMaxBufferedBytes: 262_144 });
    expect(fromOptions.budgets).toEqual([{ scope: 'total', maxUsd: 100 }]);
  });

  it('reads the server read token and allowed hosts from TOLLGATE_READ_TOKEN and TOLLGATE_ALLOWED_HOSTS (comma list)', () => {
    const c = loadConfig({ noFile: true, env: { TOLLGATE_READ_TOKEN: 'r3ad', TOLLGATE_ALLOWED_HOSTS: 'tollgate.internal, localhost ,' } });
    expect(c.server.readToken).toBe('r3ad');
    expect(c.server.allowedHosts).toEqual(['tollgate.internal', 'localhost']);
    expect(loadConfig({ noFile: true, env: {}, overrides: { server: { sseMaxClients: 5, sseMaxBufferedBytes: 1024 } } }).server).toMatchObject({ sseMaxClients: 5, sseMaxBufferedBytes: 1024 });
  });

  it('TOLLGATE_QUIET overrides the file, and options override it', () => {
    const dir = tempDir();
    write(dir, 'tollgate.toml', 'quiet = false\n');
    expect(loadConfig({ cwd: dir, env: {} }).quiet).toBe(false);
    for (const on of ['1', 'true', 'yes', 'on']) expect(loadConfig({ cwd: dir, env: { TOLLGATE_QUIET: on } }).quiet).toBe(true);
    for (const off of ['0', 'false', 'no', 'off']) expect(loadConfig({ cwd: dir, env: { TOLLGATE_QUIET: off } }).quiet).toBe(false);
    expect(loadConfig({ cwd: dir, env: { TOLLGATE_QUIET: '1' }, overrides: { quiet: false } }).quiet).toBe(false);
  });

  it('merges price overrides per model: a higher layer replaces a model entry, not its fields', () => {
    const dir = tempDir();
    write(dir, 'tollgate.toml', '[pricing.overrides.a]\ninput_per_1k = 0.001\noutput_per_1k = 0.002\n[pricing.overrides.b]\ninput_per_m = 1\n');
    const c = loadConfig({ cwd: dir, env: {}, overrides: { pricing: { overrides: { a: { inputPerM: 3, outputPerM: 4 } } } } });
    expect(c.pricing.overrides).toEqual({ a: { inputPerM: 3, outputPerM: 4 }, b: { inputPerM: 1 } });
  });
});

describe('errors name the source, the field, what was expected and the fix', () => {
  it.each([
    [
      { budgets: [{ scope: 'daily', maxUsd: 5 }, { scope: 'task', maxUsd: 'abc' }] },
      'src: budgets[1].maxUsd: expected a number > 0, got "abc". Fix: give the limit in USD, e.g. maxUsd = 5 (max_usd in TOML)',
    ],
    [
      { budgets: [{ scope: 'task', maxUsd: 0 }] },
      'src: budgets[0].maxUsd: expected a number > 0, got 0. Fix: give the limit in USD, e.g. maxUsd = 5 (max_usd in TOML)',
    ],
    [
      { budgets: [{ scope: 'task', maxUsd: 1, onExceed: 'fallback' }] },
      'src: budgets[0].fallbackModel: expected a model name when onExceed is "fallback". Fix: add fallbackModel (the cheaper model to switch to) or use onExceed "deny" / "warn"',
    ],
    [
      { budgets: [{ scope: 'task', maxUsd: 1, thresholds: [0.5, 1.5] }] },
      'src: budgets[0].thresholds[1]: expected a fraction in (0, 1], got 1.5. Fix: use fractions of the limit, e.g. [0.5, 0.8, 1]',
    ],
    [
      { budgets: [{ scope: 'fortnightly', maxUsd: 1 }] },
      'src: budgets[0].scope: expected one of request, task, session, agent, daily, weekly, monthly, total, got "fortnightly". Fix: use request, task, session, agent, daily, weekly, monthly or total (per_request / per_session also work)',
    ],
    [
      { budgets: [{ scope: 'task', maxUsd: 1, onExceed: 'explode' }] },
      'src: budgets[0].onExceed: expected deny, warn or fallback, got "explode". Fix: correct budgets[0].onExceed in src',
    ],
    [{ server: { prot: 1 } }, 'src: server.prot: unknown key. Fix: did you mean port? (rename prot to port)'],
    [
      { store: 'postgres://x' },
      'src: store: expected "memory:", "sqlite:<path>" or "redis://host:port/db", got "postgres://x". Fix: use "memory:", "sqlite:.tollgate/ledger.db" or "redis://127.0.0.1:6379/0"',
    ],
    [
      { pricing: { overrides: { 'a/b': { input_per_m: 1, input_per_1k: 0.001 } } } },
      'src: pricing.overrides["a/b"].inputPer1k: expected only one of inputPerM / inputPer1k, got 0.001. Fix: correct pricing.overrides["a/b"].inputPer1k in src',
    ],
    [
      { pricing: { overrides: { m: { inputPerM: -1 } } } },
      'src: pricing.overrides.m.inputPerM: expected a non-negative number of USD, got -1. Fix: correct pricing.overrides.m.inputPerM in src',
    ],
    [
      { pricing: { unknownModel: 'ignore' } },
      "src: pricing.unknownModel: expected zero, warn or deny, got \"ignore\". Fix: use 'zero', 'warn' or 'deny'",
    ],
    [
      { alerts: [{ type: 'slack', url: 'ftp://x' }] },
      'src: alerts[0].url: expected an http(s) URL, or smtp(s):// for email, got "ftp://x". Fix: correct alerts[0].url in src',
    ],
    [
      { alerts: [{ type: 'email', url: 'smtp://127.0.0.1:25', to: 'ops@example.com' }] },
      'src: alerts[0].from: expected the sender address of an email alert. Fix: correct alerts[0].from in src',
    ],
    [
      { alerts: [{ type: 'email', url: 'https://mail.example.com', from: 'a@example.com', to: ['ops@example.com'] }] },
      'src: alerts[0].url: expected an smtp:// or smtps:// URL for an email alert, got "https://mail.example.com". Fix: correct alerts[0].url in src',
    ],
    [
      { pricing: { unpricedUnderCap: 'zero' } },
      "src: pricing.unpricedUnderCap: expected ceiling or deny, got \"zero\". Fix: use 'ceiling' (charge an unpriced model at its provider's dearest prices) or 'deny' (refuse it under a cap)",
    ],
    [
      { estimation: { minOutputTokens: 0 } },
      'src: estimation.minOutputTokens: expected a whole number of tokens > 0, got 0. Fix: use a whole number of tokens, e.g. 16 (min_output_tokens in TOML)',
    ],
    [
      { estimation: { min_output_tokens: 2.5 } },
      'src: estimation.minOutputTokens: expected a whole number of tokens > 0, got 2.5. Fix: use a whole number of tokens, e.g. 16 (min_output_tokens in TOML)',
    ],
    [
      { estimation: { inputMargin: -0.1 } },
      'src: estimation.inputMargin: expected a number >= 0 (0.25 adds 25 %), got -0.1. Fix: give the share added to input estimates, e.g. 0.25 for +25 % (input_margin in TOML; 0 for none)',
    ],
    [
      { estimation: { input_margin: '20%' } },
      'src: estimation.inputMargin: expected a number >= 0 (0.25 adds 25 %), got "20%". Fix: give the share added to input estimates, e.g. 0.25 for +25 % (input_margin in TOML; 0 for none)',
    ],
    [
      { estimation: { inputMargin: 1000 } },
      'src: estimation.inputMargin: expected a number <= 100, got 1000. Fix: give the share added to input estimates, e.g. 0.25 for +25 % (input_margin in TOML; 0 for none)',
    ],
    [{ quiet: 'yes' }, 'src: quiet: expected true or false, got "yes". Fix: correct quiet in src'],
    [{ unpricedUnderCap: 'deny' }, 'src: unpricedUnderCap: unknown key. Fix: did you mean pricing.unpricedUnderCap? (move it into the pricing table)'],
    [
      { server: { port: 70000 } },
      'src: server.port: expected a port number 0-65535, got 70000. Fix: use a port such as 9464',
    ],
  ])('%j', (input, message) => {
    const err = errorOf(() => parseConfig(input, 'src'));
    expect(err.message).toBe(message);
  });

  it('names the config file', () => {
    const dir = tempDir();
    const path = write(dir, 'tollgate.toml', '[[budgets]]\nscope = "daily"\nmax_usd = 5\n[[budgets]]\nscope = "task"\nmax_usd = "abc"\n');
    expect(errorOf(() => loadConfig({ cwd: dir, env: {} })).message).toBe(
      `${path}: budgets[1].maxUsd: expected a number > 0, got "abc". Fix: give the limit in USD, e.g. maxUsd = 5 (max_usd in TOML)`,
    );
  });

  it('names a TOML syntax error with its line', () => {
    const dir = tempDir();
    const path = write(dir, 'tollgate.toml', 'store = "memory:"\nport = \n');
    expect(errorOf(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected valid TOML at line 2, column \\d+ \\(.+\\)\\. Fix: correct the TOML syntax$`),
    );
  });

  it('content capture follows OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT; TOLLGATE_CAPTURE_CONTENT is its alias, and the standard name wins', () => {
    const capture = (env: Record<string, string>): boolean => loadConfig({ noFile: true, env }).captureContent;
    expect(capture({})).toBe(false);
    expect(capture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' })).toBe(true);
    expect(capture({ TOLLGATE_CAPTURE_CONTENT: 'true' })).toBe(true);
    expect(capture({ TOLLGATE_CAPTURE_CONTENT: 'true', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' })).toBe(false);
    expect(capture({ TOLLGATE_CAPTURE_CONTENT: 'false', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'TRUE' })).toBe(true);
  });

  it('names a missing explicit file', () => {
    const dir = tempDir();
    const path = join(dir, 'nope.toml');
    expect(errorOf(() => loadConfig({ file: path, env: {} })).message).toBe(
      `${path}: cannot read the config file (ENOENT: no such file or directory, open '${path}'). Fix: check --config / TOLLGATE_CONFIG`,
    );
  });

  it.each([
    ['TOLLGATE_PORT', 'abc', 'expected a port number 0-65535'],
    ['TOLLGATE_CAPTURE_CONTENT', 'maybe', 'expected true or false'],
    ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'maybe', 'expected true or false'],
    ['TOLLGATE_QUIET', 'maybe', 'expected true or false'],
    ['TOLLGATE_DAILY_BUDGET_USD', '-5', 'expected a number > 0'],
    ['TOLLGATE_UNKNOWN_MODEL', 'ignore', 'expected zero, warn or deny'],
    ['TOLLGATE_FAIL_MODE', 'sideways', 'expected open or closed'],
    ['TOLLGATE_SQLITE_DURABILITY', 'eventually', 'expected transaction or batched'],
    ['TOLLGATE_STORE', 'mysql://x', 'expected "memory:", "sqlite:<path>" or "redis://host:port/db"'],
  ])('names the env variable %s', (name, value, expected) => {
    expect(errorOf(() => loadConfig({ noFile: true, env: { [name]: value } })).message).toBe(
      `env ${name}: ${expected}, got ${JSON.stringify(value)}. Fix: set ${name} to a valid value or unset it`,
    );
  });

  it("accepts a budget's own failMode and names a wrong one", () => {
    const config = loadConfig({ noFile: true, env: {}, overrides: { budgets: [{ scope: 'daily', maxUsd: 1, onExceed: 'warn', failMode: 'closed' }] } });
    expect(config.budgets[0]).toMatchObject({ failMode: 'closed' });
    expect(config.failMode).toBeUndefined();
    const message = errorOf(() => loadConfig({ noFile: true, env: {}, overrides: { budgets: [{ scope: 'daily', maxUsd: 1, failMode: 'later' as 'open' }] } })).message;
    expect(message).toContain('failMode: expected open or closed, got "later"');
  });

  it('names createTollgate() options', () => {
    expect(errorOf(() => loadConfig({ noFile: true, env: {}, overrides: { failMode: 'sometimes' as 'open' } })).message).toBe(
      'createTollgate() options: failMode: expected open or closed, got "sometimes". Fix: correct failMode in createTollgate() options',
    );
  });
});

describe('budget limits', () => {
  it('accepts maxUsd up to 1e15 (budgets beyond $9M) and refuses more, naming the file and field', () => {
    const dir = tempDir();
    write(dir, 'tollgate.toml', '[[budgets]]\nscope = "daily"\nmaxUsd = 1e7\n\n[[budgets]]\nscope = "total"\nmaxUsd = 1e12\n\n[[budgets]]\nscope = "monthly"\nmaxUsd = 1e15\n');
    expect(loadConfig({ cwd: dir, env: {} }).budgets.map((b) => b.maxUsd)).toEqual([1e7, 1e12, 1e15]);
    const bad = tempDir();
    write(bad, 'tollgate.toml', '[[budgets]]\nscope = "daily"\nmaxUsd = 1e308\n');
    const err = errorOf(() => loadConfig({ cwd: bad, env: {} }));
    expect(err.message).toContain('budgets[0].maxUsd: expected at most 1e15 USD');
    expect(err.message).toContain('tollgate.toml');
    expect(errorOf(() => loadConfig({ noFile: true, env: {}, overrides: { budgets: [{ scope: 'daily', maxUsd: Number.POSITIVE_INFINITY }] } })).message).toContain(
      'budgets[0].maxUsd',
    );
  });
});

describe('seed defaults: ./pricing.json, .env, calendar or rolling daily / monthly', () => {
  it('reads ./pricing.json when no layer names pricing files (an explicit list, even empty, wins)', () => {
    const dir = tempDir();
    const prices = write(dir, 'pricing.json', JSON.stringify({ 'my-model': { input_per_1k: 0.001, output_per_1k: 0.002 } }));
    expect(loadConfig({ cwd: dir, env: {} }).pricing.files).toEqual([prices]);
    expect(loadConfig({ cwd: dir, env: {}, overrides: { pricing: { files: [] } } }).pricing.files).toEqual([]);
    const other = write(dir, 'other.json', '{}');
    expect(loadConfig({ cwd: dir, env: { TOLLGATE_PRICING_FILE: other } }).pricing.files).toEqual([other]);
    expect(loadConfig({ cwd: dir, env: {}, noFile: true }).pricing.files).toEqual([]);
    expect(loadConfig({ cwd: tempDir(), env: {} }).pricing.files).toEqual([]);
  });

  it('loads .env from the working directory into process.env; variables already set win', () => {
    const dir = tempDir();
    write(dir, '.env', '# seed 001\nTOLLGATE_UNKNOWN_MODEL=deny\nTOLLGATE_FAIL_MODE=closed\n');
    const saved = { unknown: process.env.TOLLGATE_UNKNOWN_MODEL, fail: process.env.TOLLGATE_FAIL_MODE };
    process.env.TOLLGATE_FAIL_MODE = 'open';
    delete process.env.TOLLGATE_UNKNOWN_MODEL;
    try {
      const c = loadConfig({ cwd: dir });
      expect(c.pricing.unknownModel).toBe('deny');
      expect(c.failMode).toBe('open');
      // An injected environment reads no .env.
      const other = tempDir();
      write(other, '.env', 'TOLLGATE_LOG_LEVEL=debug\n');
      expect(loadConfig({ cwd: other, env: {} }).log.level).toBe('warn');
    } finally {
      for (const [name, value] of [['TOLLGATE_UNKNOWN_MODEL', saved.unknown], ['TOLLGATE_FAIL_MODE', saved.fail]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('reports every mistake of a file at once, with "did you mean" for misspelt keys and values', () => {
    const dir = tempDir();
    const path = write(
      dir,
      'tollgate.toml',
      `[telemetry]
enabled = true

[[telemetry.budgets]]
scope = "dayly"
max_usd = 5.00
on_exceed = "deny"

[[telemetry.budgets]]
scope = "per_session"
max_ud = 0.50
on_exceed = "warn"

[telemetry.server]
prot = 9464
`,
    );
    const err = errorOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(err.issues.map((i) => [i.path, i.fix])).toEqual([
      ['budgets[0].scope', 'did you mean "daily"?'],
      ['budgets[1].maxUsd', 'give the limit in USD, e.g. maxUsd = 5 (max_usd in TOML)'],
      ['budgets[1].maxUd', 'did you mean maxUsd? (rename maxUd to maxUsd)'],
      ['server.prot', 'did you mean port? (rename prot to port)'],
    ]);
    expect(err.path).toBe('budgets[0].scope');
    const lines = err.message.split('\n');
    expect(lines[0]).toBe(`${path}: budgets[0].scope: expected one of request, task, session, agent, daily, weekly, monthly, total, got "dayly". Fix: did you mean "daily"?`);
    expect(lines[1]).toBe('3 more mistakes:');
    expect(lines.slice(2).every((l) => l.startsWith(`  - ${path}: `))).toBe(true);
  });

  it("seed 000's daily budget: calendar (UTC day) by default, its rolling 24 h with window = \"rolling\"", async () => {
    const outcomes: Record<string, boolean[]> = {};
    for (const window of ['calendar', 'rolling'] as const) {
      const dir = tempDir();
      const file = write(dir, 'tollgate.toml', `[telemetry]\nenabled = true\n\n[[telemetry.budgets]]\nscope = "daily"\nmax_usd = 0.01\non_exceed = "deny"\n${window === 'rolling' ? 'window = "rolling"\n' : ''}`);
      let now = Date.UTC(2026, 11, 3, 20, 0, 0);
      const tollgate = createTollgate({ configFile: file, env: {}, store: 'memory:', guardFetch: false, clock: () => now });
      expect(tollgate.config.budgets[0]?.window).toBe(window === 'rolling' ? 'rolling' : undefined);
      // gpt-4o: $10 / M output tokens. 800 tokens spent now: $0.008 of $0.01.
      await tollgate.llm({ model: 'gpt-4o', inputTokens: 0, maxTokens: 800 }, (c) => c.setUsage({ input: 0, output: 800 }));
      const fits = async (): Promise<boolean> =>
        tollgate.llm({ model: 'gpt-4o', inputTokens: 0, maxTokens: 400 }, (c) => c.setUsage({ input: 0, output: 0 })).then(
          () => true,
          (err: unknown) => {
            if (err instanceof BudgetExceededError) return false;
            throw err;
          },
        );
      now = Date.UTC(2026, 11, 4, 2, 0, 0); // the next UTC day, 6 h later
      const nextMorning = await fits();
      now = Date.UTC(2026, 11, 4, 20, 0, 1); // 24 h later
      const dayLater = await fits();
      outcomes[window] = [nextMorning, dayLater];
      await tollgate.shutdown();
    }
    expect(outcomes).toEqual({ calendar: [true, true], rolling: [false, true] });
  });
});

describe('price overrides for every billed unit in TOML', () => {
  it('reads snake_case unit prices, adds them to the price data, and prices a call with them', async () => {
    const dir = tempDir();
    write(
      dir,
      'tollgate.toml',
      `store = "memory:"

# only unit prices: added to the price data's gpt-4.1 (its token prices stay)
[pricing.overrides."gpt-4.1"]
code_interpreter_per_call = 0.03
image_generation_per_1k = 42

[pricing.overrides."anthropic/claude-sonnet-4-6"]
code_execution_per_call = 0.05
cache_write_1h_per_m = 7

# input and output prices: replaces the model's prices
[pricing.overrides."acme/rocket"]
input_per_m = 1
output_per_m = 2
web_search_per_call = 0.01
request_per_call = 0.001
`,
    );
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.pricing.overrides).toEqual({
      'gpt-4.1': { codeInterpreterPerCall: 0.03, imageGenerationPer1k: 42 },
      'anthropic/claude-sonnet-4-6': { codeExecutionPerCall: 0.05, cacheWrite1hPerM: 7 },
      'acme/rocket': { inputPerM: 1, outputPerM: 2, webSearchPerCall: 0.01, requestPerCall: 0.001 },
    });
    const tollgate = createTollgate({ configFile: join(dir, 'tollgate.toml'), env: {}, guardFetch: false });
    try {
      const gpt = tollgate.pricing.cost({ input: 1000, output: 100, codeInterpreterCalls: 2, imageGenerations: 1 }, 'gpt-4.1', 'openai');
      // gpt-4.1 from the price data: $2 / $8 per 1M tokens; then 2 × $0.03 + $0.042
      expect(gpt).toMatchObject({ totalNanos: 2_000_000 + 800_000 + 60_000_000 + 42_000_000, serverToolNanos: 102_000_000 });
      expect(gpt.unpricedUnits).toBeUndefined();
      const claude = tollgate.pricing.cost({ input: 100, output: 0, cacheWrite: 100, cacheWrite1h: 100, codeExecutions: 1 }, 'claude-sonnet-4-6', 'anthropic');
      expect(claude).toMatchObject({ totalNanos: 700_000 + 50_000_000, cacheWriteNanos: 700_000, serverToolNanos: 50_000_000 });
      expect(tollgate.pricing.cost({ input: 1000, output: 1000, webSearches: 1 }, 'rocket', 'acme')).toMatchObject({
        totalNanos: 1_000_000 + 2_000_000 + 10_000_000 + 1_000_000,
        requestNanos: 1_000_000,
      });
    } finally {
      await tollgate.shutdown();
    }
  });

  it('names a misspelt unit field with the nearest one, and refuses an entry with no price', () => {
    const dir = tempDir();
    const path = write(dir, 'tollgate.toml', '[pricing.overrides."gpt-4.1"]\ncode_interpreter_per_cal = 0.03\n');
    expect(errorOf(() => loadConfig({ cwd: dir, env: {} })).message).toBe(
      `${path}: pricing.overrides["gpt-4.1"].codeInterpreterPerCal: unknown key. Fix: did you mean codeInterpreterPerCall? (rename codeInterpreterPerCal to codeInterpreterPerCall)`,
    );
    write(dir, 'tollgate.toml', '[pricing.overrides."gpt-4.1"]\ncode_interpreter_per_call = 0.03\ncode_interpreter_per_1k = 30\n');
    expect(errorOf(() => loadConfig({ cwd: dir, env: {} })).message).toBe(
      `${path}: pricing.overrides["gpt-4.1"].codeInterpreterPer1k: expected only one of codeInterpreterPerCall / codeInterpreterPer1k, got 30. Fix: correct pricing.overrides["gpt-4.1"].codeInterpreterPer1k in ${path}`,
    );
    write(dir, 'tollgate.toml', '[pricing.overrides."gpt-4.1"]\n');
    expect(errorOf(() => loadConfig({ cwd: dir, env: {} })).message).toBe(
      `${path}: pricing.overrides["gpt-4.1"]: expected at least one price: inputPerM and outputPerM to price the model, or only the units to add to its price-data entry (e.g. codeInterpreterPerCall), got {}. Fix: correct pricing.overrides["gpt-4.1"] in ${path}`,
    );
  });
});
