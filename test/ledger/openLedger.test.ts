import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { openLedger, openLedgerSync, parseStoreUrl } from '../../src/ledger/openLedger.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-open-'));
  dirs.push(d);
  return d;
}

describe('openLedger', () => {
  it('parses every accepted form', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('sqlite:.tollgate/ledger.db')).toEqual({ kind: 'sqlite', path: '.tollgate/ledger.db' });
    expect(parseStoreUrl('sqlite:///var/lib/tollgate.db')).toEqual({ kind: 'sqlite', path: '/var/lib/tollgate.db' });
    expect(parseStoreUrl('data/ledger.db')).toEqual({ kind: 'sqlite', path: 'data/ledger.db' });
    expect(parseStoreUrl('redis://127.0.0.1:6379/0')).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/0' });
  });

  it('rejects anything else, naming the value and the accepted forms', () => {
    expect(() => parseStoreUrl('postgres://db/ledger')).toThrow(/"postgres:\/\/db\/ledger".*'memory:'.*'sqlite:<path>'.*redis:\/\//);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/no database path/);
    expect(() => openLedgerSync('redis://127.0.0.1:6379')).toThrow(/use await openLedger/);
  });

  it('opens memory and SQLite ledgers, synchronously or not', async () => {
    const memory = openLedgerSync('memory:');
    expect(memory).toBeInstanceOf(MemoryLedger);
    const path = join(tempDir(), 'a', 'b', 'ledger.db');
    const sqlite = await openLedger(`sqlite:${path}`, { sqlite: { synchronous: 'FULL' } });
    expect(sqlite).toBeInstanceOf(SqliteLedger);
    expect((sqlite as SqliteLedger).path).toBe(path);
    await sqlite.close();
  });
});
