import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/ConfigError.js';
import { LazyLedger } from '../../src/ledger/LazyLedger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openLedger, openStore, parseStoreUrl } from '../../src/ledger/openLedger.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { usageRecord } from '../helpers/usageRecord.js';

const redis = await mainRedisStatus();

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-open-'));
  cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('parseStoreUrl', () => {
  it('parses every accepted form', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('sqlite:.tollgate/ledger.db')).toEqual({ kind: 'sqlite', path: '.tollgate/ledger.db' });
    expect(parseStoreUrl('sqlite:///var/lib/tollgate.db')).toEqual({ kind: 'sqlite', path: '/var/lib/tollgate.db' });
    expect(parseStoreUrl('data/ledger.db')).toEqual({ kind: 'sqlite', path: 'data/ledger.db' });
    expect(parseStoreUrl('redis://127.0.0.1:6379/0')).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/0' });
    expect(parseStoreUrl('rediss://cache.example:6380/1')).toEqual({ kind: 'redis', url: 'rediss://cache.example:6380/1' });
  });

  it('rejects anything else with a ConfigError naming the value and the accepted forms', () => {
    expect(() => parseStoreUrl('postgres://db/ledger')).toThrow(ConfigError);
    expect(() => parseStoreUrl('postgres://db/ledger')).toThrow(
      /^store: expected a supported store URL, got "postgres:\/\/db\/ledger"\. Fix: use 'memory:', 'sqlite:<path>'.*redis:\/\//,
    );
    expect(() => parseStoreUrl('sqlite:')).toThrow(/^store: expected a database path after 'sqlite:', got "sqlite:"/);
  });
});

describe('openStore', () => {
  it('opens memory and SQLite stores synchronously', async () => {
    const memory = openStore('memory:');
    cleanups.push(() => memory.close());
    expect(memory).toBeInstanceOf(MemoryLedger);

    const path = join(tempDir(), 'a', 'b', 'ledger.db');
    const sqlite = openStore(`sqlite:${path}`);
    cleanups.push(() => sqlite.close());
    expect(sqlite).toBeInstanceOf(SqliteLedger);
    expect((sqlite as SqliteLedger).path).toBe(path);
    expect((sqlite as SqliteLedger).durability).toBe('transaction');
  });

  it('passes the sqlite options on; a settlement is in the file once its promise resolves, whatever the durability', async () => {
    const path = join(tempDir(), 'ledger.db');
    const batched = openStore(`sqlite:${path}`, { sqlite: { durability: 'batched', flushIntervalMs: 60_000 } });
    cleanups.push(() => batched.close());
    expect(batched).toBeInstanceOf(SqliteLedger);
    expect((batched as SqliteLedger).durability).toBe('batched');

    const other = new SqliteLedger({ path });
    cleanups.push(() => other.close());
    await batched.settle(usageRecord({ id: 'r1', time: 1_000 }), []);
    expect((await other.records({})).map((r) => r.id)).toEqual(['r1']);
  });

  it('throws a ConfigError naming the store and the fix when the SQLite file cannot be created', () => {
    const open = (): unknown => openStore('sqlite:/etc/hosts/ledger.db');
    expect(open).toThrow(ConfigError);
    expect(open).toThrow(
      /^store: expected a SQLite file tollgate can create and open; opening "sqlite:\/etc\/hosts\/ledger\.db" failed: .*Fix: point store \(or TOLLGATE_STORE\) at a writable path/,
    );
  });

  it('opens Redis as a LazyLedger, which a close before any call leaves unopened', async () => {
    const lazy = openStore('redis://127.0.0.1:1/0', { redis: { commandTimeoutMs: 50 } });
    expect(lazy).toBeInstanceOf(LazyLedger);
    await lazy.close();
  });

  it.skipIf(!redis.run)('passes the redis options on: keys go under the keyPrefix given', async () => {
    const keyPrefix = uniqueKeyPrefix('open-store');
    cleanups.push(() => deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix));
    const ledger = openStore(MAIN_REDIS_URL, { redis: { keyPrefix } });
    cleanups.push(() => ledger.close());
    await ledger.putBudget({ id: 'daily', spec: { scope: 'daily', maxUsd: 5 } });

    const client = new Redis(MAIN_REDIS_URL, { maxRetriesPerRequest: 1 });
    cleanups.push(() => client.quit());
    expect(await client.hgetall(`${keyPrefix}budgets`)).toEqual({ daily: JSON.stringify({ scope: 'daily', maxUsd: 5 }) });
  });
});

describe('openLedger', () => {
  it('opens what openStore opens, with the same options', async () => {
    const path = join(tempDir(), 'ledger.db');
    const sqlite = await openLedger(`sqlite:${path}`, { sqlite: { durability: 'batched' } });
    cleanups.push(() => sqlite.close());
    expect(sqlite).toBeInstanceOf(SqliteLedger);
    expect((sqlite as SqliteLedger).durability).toBe('batched');
  });

  it('resolves a Redis URL to the RedisLedger itself, with the redis options', async () => {
    const ledger = await openLedger('redis://127.0.0.1:1/0', { redis: { keyPrefix: 'custom:', commandTimeoutMs: 50 } });
    cleanups.push(() => ledger.close());
    expect(ledger).toBeInstanceOf(RedisLedger);
    expect((ledger as RedisLedger).keyPrefix).toBe('custom:');
  });
});
