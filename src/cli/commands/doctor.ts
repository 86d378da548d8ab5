import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AlertDispatcher } from '../../alerts/AlertDispatcher.js';
import { createAlertSinks } from '../../alerts/createAlertSinks.js';
import { loadConfig } from '../../config/loadConfig.js';
import { EventBus } from '../../events/EventBus.js';
import type { TollgateConfig } from '../../config/schema.js';
import type { Ledger } from '../../ledger/Ledger.js';
import type { RedisLedger } from '../../ledger/redis/RedisLedger.js';
import { openStore, parseStoreUrl } from '../../ledger/openLedger.js';
import { PricingCatalog } from '../../pricing/PricingCatalog.js';
import { describeStore } from '../openTollgate.js';
import { printJson, printLine, printTable } from '../output.js';
import { checkUnpriced } from './checkUnpriced.js';

/** One check's outcome. `skipped`: not configured, or it needs a check that failed. */
export interface DoctorCheck {
  name: 'config' | 'pricing' | 'store' | 'persistence' | 'layout' | 'otlp' | 'server' | 'unpriced';
  /** `warn`: works, but a guarantee is weaker than it looks (does not fail the run). */
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  detail: string;
}

/** What `tollgate doctor --json` prints; `ok` is false when any check failed (exit code 1). */
export interface DoctorResult {
  ok: boolean;
  checks: DoctorCheck[];
  /** When a check failed and the config has alert sinks: how many a `health_check_failed` alert went to. */
  alerted?: number;
}

interface DoctorOptions {
  url?: string;
  timeout: string;
  json?: boolean;
}

const DEFAULT_TIMEOUT_MS = 3000;

/**
 * `tollgate doctor [--url http://host:port] [--timeout ms] [--json]`: config parsed, pricing
 * files valid, store reachable, OTLP endpoint reachable (when OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set), and a running server's /healthz and its
 * unpriced calls (with --url). Exit code 1 when any check fails.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check the config, pricing files, store, OTLP endpoint (and a running server with --url); exit 1 on any failure')
    .option('--url <url>', 'also check a running tollgate server, e.g. http://127.0.0.1:9464 (its /healthz)')
    .option('--timeout <ms>', 'time limit of each network check', String(DEFAULT_TIMEOUT_MS))
    .option('--json', 'print JSON')
    .action(async (opts: DoctorOptions, command: Command) => {
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        command.error(`error: --timeout: expected a whole number of milliseconds > 0, got "${opts.timeout}"`, { exitCode: 2, code: 'tollgate.badTimeout' });
      }
      const file = command.optsWithGlobals<{ config?: string }>().config;
      const checks: DoctorCheck[] = [];

      let config: TollgateConfig | undefined;
      const path = configPath(file);
      try {
        config = loadConfig(file !== undefined ? { file } : {});
        checks.push({ name: 'config', status: 'ok', detail: path === undefined ? 'no config file: defaults and TOLLGATE_* environment' : `parsed ${path}` });
      } catch (err: unknown) {
        checks.push({ name: 'config', status: 'fail', detail: messageOf(err) });
      }

      if (config === undefined) {
        checks.push({ name: 'pricing', status: 'skipped', detail: 'the config did not load' });
        checks.push({ name: 'store', status: 'skipped', detail: 'the config did not load' });
      } else {
        checks.push(checkPricing(config));
        const store = await checkStore(config, timeoutMs);
        checks.push(store);
        if (store.status === 'ok' && parseStoreUrl(config.store).kind === 'redis') checks.push(...(await checkRedis(config, timeoutMs)));
      }
      checks.push(await checkOtlp(config, timeoutMs));
      if (opts.url !== undefined) {
        const server = await checkServer(opts.url, timeoutMs);
        checks.push(server);
        if (server.status === 'ok') checks.push(await checkUnpriced(opts.url, timeoutMs));
      }

      const result: DoctorResult = { ok: checks.every((c) => c.status !== 'fail'), checks };
      // Like seed 001's healthcheck script: a failed check alerts through the configured sinks (Slack, webhook, email).
      if (!result.ok && config !== undefined && config.alerts.length > 0) result.alerted = await sendHealthAlert(config, checks);
      if (opts.json === true) {
        printJson(result);
      } else {
        printTable(
          ['Check', 'Status', 'Detail'],
          checks.map((c) => [c.name, c.status, c.detail]),
        );
        const failed = checks.filter((c) => c.status === 'fail').length;
        printLine(failed === 0 ? 'All checks passed.' : `${failed} ${failed === 1 ? 'check' : 'checks'} failed.`);
        if (result.alerted !== undefined) printLine(`Sent a health_check_failed alert to ${result.alerted} of ${config?.alerts.length ?? 0} alert sinks.`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}

/** Sends one `health_check_failed` alert naming the failed checks to every sink that takes it; resolves with how many did. */
async function sendHealthAlert(config: TollgateConfig, checks: DoctorCheck[]): Promise<number> {
  const bus = new EventBus();
  const routes = createAlertSinks(config.alerts, config.otel.serviceName !== undefined ? { service: config.otel.serviceName } : {});
  const dispatcher = new AlertDispatcher(bus, { routes });
  const failed = checks.filter((c) => c.status === 'fail').map((c) => ({ check: c.name, error: c.detail }));
  bus.emit('health_check_failed', { failed, time: Date.now() });
  await dispatcher.shutdown();
  return routes.filter((r) => r.events?.includes('health_check_failed') === true).length;
}

/** The file loadConfig reads (same order: --config, TOLLGATE_CONFIG, tollgate.toml, tollgate.json). */
function configPath(file: string | undefined): string | undefined {
  if (file !== undefined) return resolve(file);
  const fromEnv = process.env.TOLLGATE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return ['tollgate.toml', 'tollgate.json'].map((name) => resolve(name)).find((p) => existsSync(p));
}

function checkPricing(config: TollgateConfig): DoctorCheck {
  try {
    const catalog = new PricingCatalog({
      overrides: config.pricing.overrides,
      files: config.pricing.files,
      unknownModel: config.pricing.unknownModel,
      localModels: config.pricing.localModels,
    });
    const files = config.pricing.files.length;
    const overrides = Object.keys(config.pricing.overrides).length;
    return {
      name: 'pricing',
      status: 'ok',
      detail: `${catalog.list().length} models; ${files} pricing ${files === 1 ? 'file' : 'files'}, ${overrides} ${overrides === 1 ? 'override' : 'overrides'}`,
    };
  } catch (err: unknown) {
    return { name: 'pricing', status: 'fail', detail: messageOf(err) };
  }
}

/** Opens the store as every command does (with the config's store options) and pings it. */
async function checkStore(config: TollgateConfig, timeoutMs: number): Promise<DoctorCheck> {
  const store = describeStore(config.store);
  let ledger: Ledger | undefined;
  try {
    ledger = openStore(config.store, { sqlite: config.sqlite, redis: config.redis });
    const opened = ledger;
    await withTimeout(opened.ping(), timeoutMs, `no answer within ${timeoutMs} ms`);
    return { name: 'store', status: 'ok', detail: `${store} reachable` };
  } catch (err: unknown) {
    return { name: 'store', status: 'fail', detail: `${store}: ${messageOf(err)}` };
  } finally {
    const opened = ledger;
    if (opened !== undefined) await withTimeout(opened.close(), timeoutMs, 'close').catch(() => undefined);
  }
}

/**
 * Two checks of a Redis store: its persistence (without AOF or RDB a Redis restart resets every
 * budget's spend) and the key layout of the data under the configured prefix (data an earlier
 * tollgate wrote is refused by this one).
 */
async function checkRedis(config: TollgateConfig, timeoutMs: number): Promise<DoctorCheck[]> {
  const { RedisLedger } = await import('../../ledger/redis/RedisLedger.js');
  const ledger = new RedisLedger({ ...config.redis, url: config.store, commandTimeoutMs: timeoutMs });
  try {
    return [await checkPersistence(ledger), await checkLayout(ledger, config.redis.keyPrefix ?? 'tollgate:')];
  } finally {
    await ledger.close().catch(() => undefined);
  }
}

async function checkPersistence(ledger: RedisLedger): Promise<DoctorCheck> {
  try {
    const p = await ledger.persistence();
    if (p.verdict === 'persistent') return { name: 'persistence', status: 'ok', detail: p.detail };
    const why = p.verdict === 'none' ? 'neither AOF nor RDB persistence is on' : 'persistence could not be read';
    return {
      name: 'persistence',
      status: 'warn',
      detail: `${p.detail}: ${why}; a Redis restart resets every budget (set appendonly yes, appendfsync always or everysec)`,
    };
  } catch (err: unknown) {
    return { name: 'persistence', status: 'warn', detail: `could not read Redis' persistence settings: ${messageOf(err)}` };
  }
}

async function checkLayout(ledger: RedisLedger, keyPrefix: string): Promise<DoctorCheck> {
  try {
    const { written, usable } = await ledger.keyLayout();
    if (usable) return { name: 'layout', status: 'ok', detail: written === undefined ? `no data under "${keyPrefix}" yet` : `${written} under "${keyPrefix}"` };
    return {
      name: 'layout',
      status: 'fail',
      detail:
        `the data under "${keyPrefix}" was written by an earlier tollgate (${written}): this version refuses its reservations and settlements; ` +
        'stop the processes of the earlier version, then set redis.keyPrefix to a new prefix (or delete the old keys: their spend starts again from zero)',
    };
  } catch (err: unknown) {
    return { name: 'layout', status: 'warn', detail: `could not read the key layout: ${messageOf(err)}` };
  }
}

/** Any HTTP answer from the endpoint counts as reachable; a refused connection or a timeout does not. */
async function checkOtlp(config: TollgateConfig | undefined, timeoutMs: number): Promise<DoctorCheck> {
  const tracesEndpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const target =
    tracesEndpoint !== undefined && tracesEndpoint !== ''
      ? { url: tracesEndpoint, from: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' }
      : base !== undefined && base !== ''
        ? { url: `${base.replace(/\/+$/, '')}/v1/traces`, from: 'OTEL_EXPORTER_OTLP_ENDPOINT' }
        : undefined;
  if (target === undefined) {
    const exporter = config?.otel.exporter ?? 'otlp';
    return {
      name: 'otlp',
      status: 'skipped',
      detail: exporter === 'otlp' ? 'OTEL_EXPORTER_OTLP_ENDPOINT is not set' : `otel.exporter is "${exporter}"`,
    };
  }
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return { name: 'otlp', status: 'fail', detail: `${target.from} is not a URL: "${target.url}"` };
  }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...otlpHeaders(process.env.OTEL_EXPORTER_OTLP_HEADERS) },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { name: 'otlp', status: 'ok', detail: `${url.href} answered HTTP ${res.status}` };
  } catch (err: unknown) {
    const code = causeCode(err);
    if (code !== undefined && !UNREACHABLE.has(code)) {
      // The endpoint accepted the connection but did not speak HTTP/1.1 (e.g. an OTLP gRPC port).
      return { name: 'otlp', status: 'ok', detail: `${url.href} accepted the connection (${code}; gRPC endpoint?)` };
    }
    return { name: 'otlp', status: 'fail', detail: `${url.href}: ${unreachableReason(err, timeoutMs)}` };
  }
}

async function checkServer(base: string, timeoutMs: number): Promise<DoctorCheck> {
  let url: URL;
  try {
    url = new URL('/healthz', base);
  } catch {
    return { name: 'server', status: 'fail', detail: `--url is not a URL: "${base}"` };
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    if (res.status === 200) return { name: 'server', status: 'ok', detail: `${url.href} answered 200` };
    return { name: 'server', status: 'fail', detail: `${url.href} answered ${res.status}: ${body.trim().slice(0, 300)}` };
  } catch (err: unknown) {
    return { name: 'server', status: 'fail', detail: `${url.href}: ${unreachableReason(err, timeoutMs)}` };
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(err: unknown): string | undefined {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function unreachableReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const code = causeCode(err);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code !== undefined) return code;
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? `${messageOf(err)} (${cause.message})` : messageOf(err);
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2`, values URL-encoded. */
function otlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      headers[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a malformed header is the exporter's problem too; the check still runs without it
    }
  }
  return headers;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^tollgate: /, '');
}
