import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerClosedError } from '../../src/ledger/LedgerClosedError.js';
import { DEFAULT_SQLITE_PATH, SQLITE_SCHEMA_VERSION, SqliteLedger } from '../../src/ledger/sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-'));
  dirs.push(d);
  return d;
}

describe('SqliteLedger specifics', () => {
  it('defaults to .tollgate/ledger.db', () => {
    expect(DEFAULT_SQLITE_PATH).toBe('.tollgate/ledger.db');
  });

  it('creates the directory, runs in WAL mode and records the schema version', () => {
    const path = join(tempDir(), 'deep', 'er', 'ledger.db');
    const ledger = new SqliteLedger({ path });
    ledger.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: SQLITE_SCHEMA_VERSION }]);
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer schema, saying what to do', () => {
    const path = join(tempDir(), 'ledger.db');
    new SqliteLedger({ path }).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
    raw.close();
    expect(() => new SqliteLedger({ path })).toThrow(/schema version 99, newer than this tollgate understands \(1\); upgrade tollgate/);
  });

  it('rejects an invalid synchronous option, naming it', () => {
    expect(() => new SqliteLedger({ path: join(tempDir(), 'x.db'), synchronous: 'OFF' as never })).toThrow(/synchronous/);
  });

  it('throws LedgerClosedError after close', () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    ledger.close();
    expect(() => ledger.ping()).toThrow(LedgerClosedError);
  });

  it('shares reservations between two handles on the same file (two processes in production)', () => {
    const path = join(tempDir(), 'shared.db');
    const a = new SqliteLedger({ path });
    const b = new SqliteLedger({ path });
    try {
      const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };
      expect(a.reserve({ id: 'r1', amountNanos: 70, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(true);
      expect(b.reserve({ id: 'r2', amountNanos: 31, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(false);
      expect(b.reserve({ id: 'r3', amountNanos: 30, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});
