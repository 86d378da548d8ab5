import { ConfigError } from '../core/ConfigError.js';
import { LazyLedger } from './LazyLedger.js';
import type { Ledger } from './Ledger.js';
import { MemoryLedger } from './memory.js';
import type { RedisLedgerOptions } from './redis/RedisLedgerOptions.js';
import { SqliteLedger } from './sqlite/SqliteLedger.js';
import type { SqliteLedgerOptions } from './sqlite/SqliteLedgerOptions.js';

/** Everything a store needs besides its URL. */
export interface OpenLedgerOptions {
  /**
   * Options of SQLite stores (durability, flushIntervalMs, synchronous, ...; the path comes
   * from the URL), passed to `new SqliteLedger({ ...sqlite, path })`. Default none.
   */
  sqlite?: Omit<SqliteLedgerOptions, 'path'>;
  /**
   * Options of Redis stores (keyPrefix, commandTimeoutMs, ...; the URL is the store's),
   * passed to `new RedisLedger({ ...redis, url })`. Default none.
   */
  redis?: Omit<RedisLedgerOptions, 'url'>;
}

/** What a store URL names. */
export type ParsedStore = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string };

const ACCEPTED =
  "'memory:', 'sqlite:<path>' (e.g. 'sqlite:.tollgate/ledger.db'), a path ending in .db, " +
  "or 'redis://host:port/db' / 'rediss://...'";

/**
 * Parses a store URL: 'memory:', 'sqlite:<path>' (also 'sqlite://<path>'), a bare path
 * ending in .db, 'redis://…' or 'rediss://…'. Anything else throws a ConfigError naming
 * the value and the accepted forms.
 */
export function parseStoreUrl(url: string): ParsedStore {
  const value = typeof url === 'string' ? url.trim() : url;
  if (typeof value === 'string') {
    if (value === 'memory:' || value === 'memory') return { kind: 'memory' };
    if (value.startsWith('sqlite:')) {
      let path = value.slice('sqlite:'.length);
      if (path.startsWith('//')) path = path.slice(2);
      if (path !== '') return { kind: 'sqlite', path };
      throw new ConfigError({ source: 'store', path: '', expected: `expected a database path after 'sqlite:'`, got: url, fix: `use ${ACCEPTED}` });
    }
    if (value.startsWith('redis://') || value.startsWith('rediss://')) return { kind: 'redis', url: value };
    if (value.endsWith('.db') && !value.includes('://')) return { kind: 'sqlite', path: value };
  }
  throw new ConfigError({ source: 'store', path: '', expected: 'expected a supported store URL', got: url, fix: `use ${ACCEPTED}` });
}

/**
 * Opens the store a URL names, with every option that applies to it: 'memory:' →
 * MemoryLedger and SQLite → SqliteLedger, both opened now; 'redis://…' → a LazyLedger
 * that loads the Redis adapter (and ioredis) on first use, so opening stays synchronous
 * and services that never use Redis never load it.
 *
 * Throws ConfigError for a URL it does not accept, and for a SQLite file that cannot be
 * created or opened (a directory in the way, no permission, not a database), naming
 * the store and the fix.
 */
export function openStore(url: string, options: OpenLedgerOptions = {}): Ledger {
  const parsed = parseStoreUrl(url);
  switch (parsed.kind) {
    case 'memory':
      return new MemoryLedger();
    case 'redis':
      return new LazyLedger({ ...options.redis, url: parsed.url });
    case 'sqlite':
      try {
        return new SqliteLedger({ ...options.sqlite, path: parsed.path });
      } catch (err: unknown) {
        throw new ConfigError({
          source: 'store',
          path: '',
          expected: `expected a SQLite file tollgate can create and open; opening "${url}" failed: ${err instanceof Error ? err.message : String(err)}`,
          fix: 'point store (or TOLLGATE_STORE) at a writable path, e.g. "sqlite:.tollgate/ledger.db", or use "memory:"',
        });
      }
  }
}

/**
 * Like `openStore`, but a Redis URL resolves to the RedisLedger itself (its module loaded
 * now), for callers that want its own API (`errors`, `keyPrefix`).
 */
export async function openLedger(url: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
  const parsed = parseStoreUrl(url);
  if (parsed.kind !== 'redis') return openStore(url, options);
  const { RedisLedger } = await import('./redis/RedisLedger.js');
  return new RedisLedger({ ...options.redis, url: parsed.url });
}

/** @deprecated Use `openStore`, which this is (Redis URLs included: they open lazily). */
export function openLedgerSync(url: string, options: OpenLedgerOptions = {}): Ledger {
  return openStore(url, options);
}
