import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerClosedError } from '../../../src/ledger/LedgerClosedError.js';
import { DEFAULT_SQLITE_PATH, SQLITE_SCHEMA_VERSION, SqliteLedger } from '../../../src/ledger/sqlite.js';

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

  it('creates the directory, runs in WAL mode and records the schema version', async () => {
    const path = join(tempDir(), 'deep', 'er', 'ledger.db');
    const ledger = new SqliteLedger({ path });
    await ledger.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT MAX(version) AS version FROM schema_version').all()).toEqual([{ version: SQLITE_SCHEMA_VERSION }]);
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer schema, saying what to do', async () => {
    const path = join(tempDir(), 'ledger.db');
    await new SqliteLedger({ path }).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
    raw.close();
    expect(() => new SqliteLedger({ path })).toThrow(
      new RegExp(`schema version 99, newer than this tollgate understands \\(${SQLITE_SCHEMA_VERSION}\\); upgrade tollgate`),
    );
  });

  it('migrates a v1 file: reservations it holds keep counting, and release as before', async () => {
    const path = join(tempDir(), 'v1.db');
    const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };
    const fresh = new SqliteLedger({ path });
    await fresh.settle({ id: 'old', time: 0, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 10, status: 'ok' }, [bucket]);
    await fresh.close();
    // Back to the v1 layout: no reserved sums; two live reservations written the v1 way.
    const raw = new Database(path);
    raw.exec(`
      ALTER TABLE bucket_counters DROP COLUMN reserved_nanos;
      DELETE FROM schema_version WHERE version > 1;
      INSERT INTO reservations (id, amount_nanos, expires_at) VALUES ('r1', 30, 5000), ('r2', 20, 5000);
      INSERT INTO reservation_buckets (bucket_key, reservation_id) VALUES ('daily|global|2026-03-10', 'r1'), ('daily|global|2026-03-10', 'r2'), ('task|T|all', 'r2');
    `);
    raw.close();
    const ledger = new SqliteLedger({ path });
    try {
      const task = { key: 'task|T|all', budgetId: 'task', limitNanos: 100, enforce: true };
      expect((await ledger.bucketStates([bucket, task], 1000)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([[10, 50], [0, 20]]);
      expect(ledger.reserve({ id: 'r3', amountNanos: 41, buckets: [bucket], now: 1000, expiresAt: 5000 }).ok).toBe(false);
      await ledger.release('r2');
      expect((await ledger.bucketStates([bucket, task], 1000)).map((s) => s.reservedNanos)).toEqual([30, 0]);
      expect((await ledger.bucketStates([bucket], 5000))[0]?.reservedNanos).toBe(0); // r1 expired
    } finally {
      await ledger.close();
    }
  });

  it('migrates a v2 file: records gain the attribution columns and keep their fields', async () => {
    const path = join(tempDir(), 'v2.db');
    const fresh = new SqliteLedger({ path });
    await fresh.settle({ id: 'old', time: 0, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 10, status: 'ok', task: 'T' }, []);
    await fresh.close();
    const raw = new Database(path);
    raw.exec(`
      ALTER TABLE records DROP COLUMN user_id;
      ALTER TABLE records DROP COLUMN team;
      ALTER TABLE records DROP COLUMN api_key_hash;
      ALTER TABLE records DROP COLUMN tags;
      DELETE FROM schema_version WHERE version > 2;
    `);
    raw.close();
    const ledger = new SqliteLedger({ path });
    try {
      await ledger.settle({ id: 'new', time: 1, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 2, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 20, status: 'ok', user: 'alice', tags: ['batch'] }, []);
      expect((await ledger.records({})).map((r) => [r.id, r.task, r.user, r.tags])).toEqual([['new', undefined, 'alice', ['batch']], ['old', 'T', undefined, undefined]]);
      expect((await ledger.usage({ by: 'user' })).map((g) => [g.key, g.costNanos])).toEqual([['alice', 20], ['', 10]]);
    } finally {
      await ledger.close();
    }
  });

  it('rejects an invalid synchronous option, naming it', () => {
    expect(() => new SqliteLedger({ path: join(tempDir(), 'x.db'), synchronous: 'OFF' as never })).toThrow(/synchronous/);
  });

  it('fails with LedgerClosedError after close: reserve throws, the other methods reject', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    await ledger.close();
    expect(() => ledger.reserve({ id: 'r', amountNanos: 1, buckets: [], now: 0, expiresAt: 1 })).toThrow(LedgerClosedError);
    await expect(ledger.ping()).rejects.toThrow(LedgerClosedError);
    await expect(ledger.records({})).rejects.toThrow(LedgerClosedError);
  });

  it('shares reservations between two handles on the same file (two processes in production)', async () => {
    const path = join(tempDir(), 'shared.db');
    const a = new SqliteLedger({ path });
    const b = new SqliteLedger({ path });
    try {
      const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };
      expect(a.reserve({ id: 'r1', amountNanos: 70, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(true);
      expect(b.reserve({ id: 'r2', amountNanos: 31, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(false);
      expect(b.reserve({ id: 'r3', amountNanos: 30, buckets: [bucket], now: 0, expiresAt: 1_000 }).ok).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe("durability 'batched'", () => {
    const T0 = Date.UTC(2026, 2, 10);
    const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true, expiresAt: T0 + 86_400_000 };
    const record = (i: number) => ({
      id: `b-${i}`, time: T0 + i, provider: 'openai', model: 'gpt-4o', operation: 'chat',
      inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 100, status: 'ok' as const,
    });

    it('queues settlements: this process sees them at once, other processes all together once written', async () => {
      const path = join(tempDir(), 'batched.db');
      const batched = new SqliteLedger({ path, durability: 'batched', flushIntervalMs: 60_000 });
      const other = new SqliteLedger({ path });
      try {
        for (let i = 0; i < 50; i++) {
          expect(batched.reserve({ id: `b-${i}`, amountNanos: 1_000, buckets: [bucket], now: T0 + i, expiresAt: T0 + 600_000 }).ok).toBe(true);
          const [state] = await batched.settle(record(i), [bucket]);
          // Exact for this process at once: own spend counted, own reservation released.
          expect(state).toMatchObject({ spentNanos: 100 * (i + 1), reservedNanos: 0 });
        }
        // Reservations are written at once (atomic across processes); the settlements are still queued.
        expect((await other.bucketStates([bucket], T0 + 50))[0]).toMatchObject({ spentNanos: 0, reservedNanos: 50_000 });
        expect(await other.records({ limit: 100 })).toHaveLength(0);
        await batched.flush();
        expect((await other.bucketStates([bucket], T0 + 50))[0]).toMatchObject({ spentNanos: 5_000, reservedNanos: 0 });
        expect(await other.records({ limit: 100 })).toHaveLength(50);
      } finally {
        await other.close();
        await batched.close();
      }
    });

    it('flushes on its interval, at maxBatch, and on close', async () => {
      const path = join(tempDir(), 'interval.db');
      const other = new SqliteLedger({ path });
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const byInterval = new SqliteLedger({ path, durability: 'batched', flushIntervalMs: 20 });
        await byInterval.settle(record(1), [bucket]);
        vi.advanceTimersByTime(19);
        expect(await other.records({})).toHaveLength(0);
        vi.advanceTimersByTime(1);
        expect((await other.records({})).map((r) => r.id)).toEqual(['b-1']);
        await byInterval.close();
      } finally {
        vi.useRealTimers();
      }

      const bySize = new SqliteLedger({ path, durability: 'batched', flushIntervalMs: 60_000, maxBatch: 3 });
      await bySize.settle(record(2), [bucket]);
      await bySize.settle(record(3), [bucket]);
      expect(await other.records({})).toHaveLength(1);
      await bySize.settle(record(4), [bucket]);
      expect(await other.records({})).toHaveLength(4);
      await bySize.settle(record(5), [bucket]);
      await bySize.close();
      expect(await other.records({})).toHaveLength(5);
      await other.close();
    });

    it('rejects invalid durability options, naming them', () => {
      const path = join(tempDir(), 'x.db');
      expect(() => new SqliteLedger({ path, durability: 'lazy' as never })).toThrow(/durability must be 'transaction' or 'batched'/);
      expect(() => new SqliteLedger({ path, durability: 'batched', flushIntervalMs: 0 })).toThrow(/flushIntervalMs/);
      expect(() => new SqliteLedger({ path, durability: 'batched', maxBatch: 1.5 })).toThrow(/maxBatch/);
    });
  });
});
