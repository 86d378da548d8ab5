import * as otelApi from '@opentelemetry/api';
import { logs as apiLogs } from '@opentelemetry/api-logs';
import type { LogRecord } from '@opentelemetry/api-logs';

/**
 * The host's OTel logger provider, wherever the host's SDK line registered it:
 *  - the 3.x line (sdk-node 0.3xx, `@opentelemetry/api` 1.10+) registers it in `@opentelemetry/api`'s
 *    global (its `logs` slot, beside trace and metrics);
 *  - the 2.x line (sdk-node 0.2xx) in `@opentelemetry/api-logs`'s own global.
 * tollgate's log lines go to whichever holds a provider (the api's first), so they reach the
 * host's logs on both lines.
 */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const API_LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');

/** What tollgate needs of a logger provider (both lines' LoggerProvider fit it). */
interface LoggerProviderLike {
  getLogger(name: string, version?: string): { emit(record: LogRecord): void };
}

/** The `logs` API of `@opentelemetry/api` 1.10 and later (undefined on 1.9, which has none). */
function apiLogsOf(): { disable(): void } | undefined {
  return (otelApi as unknown as { logs?: { disable(): void } }).logs;
}

/** The provider registered in `@opentelemetry/api`'s global (3.x line), if any. */
function apiProvider(): LoggerProviderLike | undefined {
  const api = (globalThis as Record<symbol, { logs?: LoggerProviderLike } | undefined>)[API_GLOBAL];
  return api?.logs;
}

/** Whether the host registered an OTel logger provider (either line: `logs.setGlobalLoggerProvider`, NodeSDK with log processors). */
export function hostLoggerRegistered(): boolean {
  return apiProvider() !== undefined || (globalThis as Record<symbol, unknown>)[API_LOGS_GLOBAL] !== undefined;
}

/** A logger of the host's registered provider, or undefined when none is registered. */
export function hostLogger(name: string, version: string | undefined): { emit(record: LogRecord): void } | undefined {
  const provider = apiProvider();
  if (provider !== undefined) return provider.getLogger(name, version);
  if ((globalThis as Record<symbol, unknown>)[API_LOGS_GLOBAL] !== undefined) return apiLogs.getLogger(name, version);
  return undefined;
}

/** Unregisters the global logger provider of both lines (what `logs.disable()` of each API does). */
export function disableHostLogs(): void {
  apiLogs.disable();
  const api = apiLogsOf();
  if (api !== undefined) api.disable();
  else delete (globalThis as Record<symbol, { logs?: unknown } | undefined>)[API_GLOBAL]?.logs;
}
