import type { Ledger } from './Ledger.js';
import { MemoryLedger } from './memory.js';
import type { RedisLedgerOptions } from './redis.js';
import { SqliteLedger } from './sqlite.js';
import type { SqliteLedgerOptions } from './sqlite.js';

export interface OpenLedgerOptions {
  /** Extra options for SQLite stores (the path comes from the URL). Default none. */
  sqlite?: Omit<SqliteLedgerOptions, 'path'>;
  /**
   * Extra options for Redis stores, passed to `new RedisLedger({ url, ...redis })`
   * (see RedisLedgerOptions: keyPrefix, commandTimeoutMs, ...). Default none.
   */
  redis?: Omit<RedisLedgerOptions, 'url'>;
}

const ACCEPTED =
  "'memory:', 'sqlite:<path>' (e.g. 'sqlite:.tollgate/ledger.db'), a path ending in .db, " +
  "or 'redis://host:port/db' / 'rediss://...'";

type ParsedStore = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string };

/** Parses a store URL; throws naming the value and the accepted forms. */
export function parseStoreUrl(url: string): ParsedStore {
  if (typeof url !== 'string') throw new Error(`tollgate: store must be a string; accepted: ${ACCEPTED}`);
  const value = url.trim();
  if (value === 'memory:' || value === 'memory') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    let path = value.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new Error(`tollgate: store ${JSON.stringify(url)} has no database path; accepted: ${ACCEPTED}`);
    return { kind: 'sqlite', path };
  }
  if (value.startsWith('redis://') || value.startsWith('rediss://')) return { kind: 'redis', url: value };
  if (value.endsWith('.db') && !value.includes('://')) return { kind: 'sqlite', path: value };
  throw new Error(`tollgate: unsupported store ${JSON.stringify(url)}; accepted: ${ACCEPTED}`);
}

/**
 * Opens the ledger a store URL names: 'memory:' → MemoryLedger, 'sqlite:<path>' or a
 * bare path ending in .db → SqliteLedger, 'redis://…' → RedisLedger (loaded lazily, so
 * ioredis is only needed by Redis users).
 */
export async function openLedger(url: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
  const parsed = parseStoreUrl(url);
  if (parsed.kind !== 'redis') return openParsed(parsed, options);
  const { RedisLedger } = await import('./redis.js');
  return new RedisLedger({ ...options.redis, url: parsed.url });
}

/**
 * Synchronous variant for the stores that answer synchronously ('memory:' and SQLite).
 * A Redis URL throws: use `openLedger` for it.
 */
export function openLedgerSync(url: string, options: OpenLedgerOptions = {}): Ledger {
  const parsed = parseStoreUrl(url);
  if (parsed.kind === 'redis') {
    throw new Error(`tollgate: store ${JSON.stringify(url)} is Redis, which opens asynchronously; use await openLedger(url)`);
  }
  return openParsed(parsed, options);
}

function openParsed(parsed: Exclude<ParsedStore, { kind: 'redis' }>, options: OpenLedgerOptions): Ledger {
  if (parsed.kind === 'memory') return new MemoryLedger();
  return new SqliteLedger({ ...options.sqlite, path: parsed.path });
}
