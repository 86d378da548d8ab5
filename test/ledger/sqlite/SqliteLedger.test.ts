import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LedgerClosedError } from '../../../src/ledger/LedgerClosedError.js';
import { DEFAULT_SQLITE_PATH, SQLITE_SCHEMA_VERSION, SqliteLedger } from '../../../src/ledger/sqlite.js';
import { tempDirs } from '../../helpers/tempDirs.js';

/** The reservation tables of schema versions 1 to 3. */
const V1_RESERVATION_TABLES = `
  CREATE TABLE reservations (id TEXT PRIMARY KEY, amount_nanos INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX reservations_expiry ON reservations (expires_at);
  CREATE TABLE reservation_buckets (bucket_key TEXT NOT NULL, reservation_id TEXT NOT NULL, PRIMARY KEY (bucket_key, reservation_id)) WITHOUT ROWID;
  CREATE INDEX reservation_buckets_id ON reservation_buckets (reservation_id);
`;

const tempDir = tempDirs('tollgate-sqlite-').dir;

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
    // Back to the v1 layout: per-reservation tables, no reserved sums; two live reservations written the v1 way.
    const raw = new Database(path);
    raw.exec(`
      DROP TABLE bucket_holds;
      ${V1_RESERVATION_TABLES}
      DELETE FROM schema_version WHERE version > 1;
      INSERT INTO reservations (id, amount_nanos, expires_at) VALUES ('r1', 30, 5000), ('r2', 20, 5000);
      INSERT INTO reservation_buckets (bucket_key, reservation_id) VALUES ('daily|global|2026-03-10', 'r1'), ('daily|global|2026-03-10', 'r2'), ('task|T|all', 'r2');
    `);
    raw.close();
    const ledger = new SqliteLedger({ path });
    try {
      const task = { key: 'task|T|all', budgetId: 'task', limitNanos: 100, enforce: true };
      expect((await ledger.bucketStates([bucket, task], 1000)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([[10, 50], [0, 20]]);
      expect((await ledger.reserve({ id: 'r3', amountNanos: 41, buckets: [bucket], now: 1000, expiresAt: 5000 })).ok).toBe(false);
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

  it('migrates a v3 file: its per-call reservations count until they expire, settling or releasing their id drops them, and records keep one index, on (time, id)', async () => {
    const path = join(tempDir(), 'v3.db');
    const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };
    const task = { key: 'task|T|all', budgetId: 'task', limitNanos: 100, enforce: true };
    await new SqliteLedger({ path }).close();
    const raw = new Database(path);
    raw.exec(`
      DROP TABLE bucket_holds;
      ${V1_RESERVATION_TABLES}
      ALTER TABLE bucket_counters ADD COLUMN reserved_nanos INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX records_trace ON records (trace_id);
      CREATE INDEX records_task ON records (task, time);
      CREATE INDEX records_session ON records (session, time);
      DELETE FROM schema_version WHERE version > 3;
      INSERT INTO reservations (id, amount_nanos, expires_at) VALUES ('r1', 30, 5000), ('r2', 20, 9000), ('r3', 10, 9000);
      INSERT INTO reservation_buckets (bucket_key, reservation_id) VALUES
        ('daily|global|2026-03-10', 'r1'), ('daily|global|2026-03-10', 'r2'), ('task|T|all', 'r2'), ('daily|global|2026-03-10', 'r3');
      INSERT INTO bucket_counters (bucket_key, spent_nanos, expires_at, reserved_nanos) VALUES ('daily|global|2026-03-10', 0, NULL, 60), ('task|T|all', 0, NULL, 20);
    `);
    raw.close();
    const ledger = new SqliteLedger({ path });
    try {
      expect((await ledger.bucketStates([bucket, task], 1000)).map((s) => s.reservedNanos)).toEqual([60, 20]);
      expect((await ledger.reserve({ id: 'new', amountNanos: 41, buckets: [bucket], now: 1000, expiresAt: 9000 })).ok).toBe(false);
      // In one group: the settlement's spend, still pending when the release drops r3's rows, is kept.
      await Promise.all([
        ledger.settle({ id: 'r2', time: 1000, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 15, status: 'ok' }, [bucket, task]),
        ledger.release('r3'),
      ]);
      expect((await ledger.bucketStates([bucket, task], 1000)).map((s) => [s.spentNanos, s.reservedNanos])).toEqual([[15, 30], [15, 0]]);
      expect((await ledger.bucketStates([bucket], 5000))[0]?.reservedNanos).toBe(0); // r1 expired
    } finally {
      await ledger.close();
    }
    const check = new Database(path, { readonly: true });
    try {
      const names = check.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
      expect(names).not.toContain('reservations');
      expect(names.filter((n) => n.startsWith('records_'))).toEqual(['records_time_id']);
      expect(check.prepare('PRAGMA table_info(bucket_counters)').all().map((c) => (c as { name: string }).name)).toEqual(['bucket_key', 'spent_nanos', 'expires_at']);
    } finally {
      check.close();
    }
  });

  describe('reservations held per process', () => {
    const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true };
    const task = { key: 'task|T|all', budgetId: 'task', limitNanos: 1_000, enforce: true };
    const settled = (id: string, costNanos: number) => ({
      id, time: 1_000, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 0, outputTokens: 0,
      cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos, status: 'ok' as const,
    });
    /** The reservation rows of bucket_holds (not the slack rows), as another process reads the file. */
    const holdRows = (path: string) => {
      const raw = new Database(path, { readonly: true });
      try {
        return raw
          .prepare("SELECT bucket_key AS key, reserved_nanos AS reserved, expires_at AS expiresAt FROM bucket_holds WHERE instance NOT LIKE 'slack:%' ORDER BY bucket_key, instance")
          .all();
      } finally {
        raw.close();
      }
    };

    it('keeps one row per process and bucket with the sum and latest expiry of its live reservations; a settled or released call leaves it', async () => {
      const path = join(tempDir(), 'holds.db');
      const ledger = new SqliteLedger({ path });
      try {
        await Promise.all([
          ledger.reserve({ id: 'a', amountNanos: 100, buckets: [bucket, task], now: 0, expiresAt: 9_000 }),
          ledger.reserve({ id: 'b', amountNanos: 200, buckets: [bucket], now: 0, expiresAt: 5_000 }),
          ledger.reserve({ id: 'c', amountNanos: 300, buckets: [bucket], now: 0, expiresAt: 7_000 }),
        ]);
        expect(holdRows(path)).toEqual([{ key: bucket.key, reserved: 600, expiresAt: 9_000 }, { key: task.key, reserved: 100, expiresAt: 9_000 }]);
        // The reservation with the latest expiry is settled: the row keeps the others, until the latest of theirs.
        await ledger.settle(settled('a', 40), [bucket, task]);
        expect(holdRows(path)).toEqual([{ key: bucket.key, reserved: 500, expiresAt: 7_000 }]);
        await ledger.release('c');
        expect(holdRows(path)).toEqual([{ key: bucket.key, reserved: 200, expiresAt: 5_000 }]);
        // An expired reservation leaves the row at the next group that reaches its expiry.
        expect((await ledger.bucketStates([bucket], 5_000))[0]).toMatchObject({ spentNanos: 40, reservedNanos: 0 });
        expect(holdRows(path)).toEqual([]);
      } finally {
        await ledger.close();
      }
    });

    it('counts the rows of the other processes on the file until they expire, and its own reservations as it holds them', async () => {
      const path = join(tempDir(), 'two.db');
      const a = new SqliteLedger({ path });
      const b = new SqliteLedger({ path });
      try {
        await a.reserve({ id: 'a1', amountNanos: 300, buckets: [bucket], now: 0, expiresAt: 5_000 });
        await a.reserve({ id: 'a2', amountNanos: 200, buckets: [bucket], now: 0, expiresAt: 9_000 });
        await b.reserve({ id: 'b1', amountNanos: 100, buckets: [bucket], now: 0, expiresAt: 5_000 });
        expect((await b.bucketStates([bucket], 1_000))[0]?.reservedNanos).toBe(600);
        expect((await b.reserve({ id: 'b2', amountNanos: 401, buckets: [bucket], now: 1_000, expiresAt: 5_000 })).ok).toBe(false);
        // A settles a1 in another process than B: B sees its share gone, and A's spend.
        await a.settle(settled('a1', 250), [bucket]);
        expect((await b.bucketStates([bucket], 1_000))[0]).toMatchObject({ spentNanos: 250, reservedNanos: 300 });
        // At 5,000 b1 has expired for B; A's row (a2 until 9,000) still counts, as A's own view does.
        expect((await b.bucketStates([bucket], 5_000))[0]?.reservedNanos).toBe(200);
        expect((await a.bucketStates([bucket], 5_000))[0]?.reservedNanos).toBe(200);
        expect((await b.bucketStates([bucket], 9_000))[0]?.reservedNanos).toBe(0);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('a group that does not commit leaves its reservations neither in memory nor in the file', async () => {
      const path = join(tempDir(), 'undo.db');
      const ledger = new SqliteLedger({ path, busyTimeoutMs: 10 });
      const holder = new Database(path);
      try {
        await ledger.reserve({ id: 'kept', amountNanos: 100, buckets: [bucket], now: 0, expiresAt: 9_000 });
        holder.exec('BEGIN IMMEDIATE');
        const ops = [
          // More than the slack 'kept' left this process (225 of the 900 left), so it needs the group.
          ledger.reserve({ id: 'lost', amountNanos: 300, buckets: [bucket], now: 0, expiresAt: 9_000 }),
          ledger.release('kept'),
        ];
        for (const op of ops) await expect(op).rejects.toThrow(/locked|busy/i);
        holder.exec('ROLLBACK');
        expect((await ledger.bucketStates([bucket], 0))[0]?.reservedNanos).toBe(100);
        expect(holdRows(path)).toEqual([{ key: bucket.key, reserved: 100, expiresAt: 9_000 }]);
        // 'kept' is still held: releasing it now empties the row.
        await ledger.release('kept');
        expect(holdRows(path)).toEqual([]);
      } finally {
        holder.close();
        await ledger.close();
      }
    });
  });

  it('rejects an invalid synchronous option, naming it', () => {
    expect(() => new SqliteLedger({ path: join(tempDir(), 'x.db'), synchronous: 'OFF' as never })).toThrow(/synchronous/);
  });

  it('fails with LedgerClosedError after close: every method rejects', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    await ledger.close();
    await expect(ledger.reserve({ id: 'r', amountNanos: 1, buckets: [], now: 0, expiresAt: 1 })).rejects.toThrow(LedgerClosedError);
    await expect(ledger.ping()).rejects.toThrow(LedgerClosedError);
    await expect(ledger.records({})).rejects.toThrow(LedgerClosedError);
  });

  it('shares reservations between two handles on the same file (two processes in production)', async () => {
    const path = join(tempDir(), 'shared.db');
    const a = new SqliteLedger({ path });
    const b = new SqliteLedger({ path });
    try {
      const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 100, enforce: true };
      expect((await a.reserve({ id: 'r1', amountNanos: 70, buckets: [bucket], now: 0, expiresAt: 1_000 })).ok).toBe(true);
      expect((await b.reserve({ id: 'r2', amountNanos: 31, buckets: [bucket], now: 0, expiresAt: 1_000 })).ok).toBe(false);
      expect((await b.reserve({ id: 'r3', amountNanos: 30, buckets: [bucket], now: 0, expiresAt: 1_000 })).ok).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe('group commit', () => {
    const T0 = Date.UTC(2026, 2, 10);
    const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000, enforce: true, expiresAt: T0 + 86_400_000 };
    const record = (i: number, metadata?: Record<string, unknown>) => ({
      id: `g-${i}`, time: T0 + i, provider: 'openai', model: 'gpt-4o', operation: 'chat',
      inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 100, status: 'ok' as const,
      ...(metadata === undefined ? {} : { metadata: metadata as Record<string, string> }),
    });
    const reserve = (ledger: SqliteLedger, id: string, amountNanos: number) =>
      ledger.reserve({ id, amountNanos, buckets: [bucket], now: T0, expiresAt: T0 + 600_000 });

    it('writes the operations of one event-loop turn together; each promise resolves once they are committed', async () => {
      const path = join(tempDir(), 'group.db');
      const ledger = new SqliteLedger({ path });
      const other = new SqliteLedger({ path });
      try {
        const settled = [1, 2, 3].map((i) => ledger.settle(record(i), [bucket]));
        // Queued, not yet written: another process sees none of them in this turn.
        expect(await other.records({})).toEqual([]);
        const states = await Promise.all(settled);
        expect(states.map((s) => s[0]?.spentNanos)).toEqual([100, 200, 300]);
        expect((await other.records({})).map((r) => r.id)).toEqual(['g-3', 'g-2', 'g-1']);
      } finally {
        await other.close();
        await ledger.close();
      }
    });

    it('decides the reservations of a group in order, atomically across two handles on one file', async () => {
      const path = join(tempDir(), 'race.db');
      const a = new SqliteLedger({ path });
      const b = new SqliteLedger({ path });
      try {
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(i % 2 === 0 ? a : b, `r${i}`, 7)));
        // 1,000 / 7: 142 fit, whichever handle asked; the first 142 in each group's order.
        expect(results.filter((r) => r.ok)).toHaveLength(142);
        expect((await a.bucketStates([bucket], T0))[0]?.reservedNanos).toBe(994);
        expect((await b.bucketStates([bucket], T0))[0]?.reservedNanos).toBe(994);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('rolls back a failing operation alone: the rest of its group commits', async () => {
      const ledger = new SqliteLedger({ path: join(tempDir(), 'one-fails.db') });
      try {
        const circular: Record<string, unknown> = {};
        circular['self'] = circular;
        const good = ledger.settle(record(1), [bucket]);
        const bad = ledger.settle(record(2, circular), [bucket]);
        const after = ledger.settle(record(3), [bucket]);
        await expect(bad).rejects.toThrow(/circular/i);
        expect((await good)[0]?.spentNanos).toBe(100);
        expect((await after)[0]?.spentNanos).toBe(200);
        expect((await ledger.records({})).map((r) => r.id)).toEqual(['g-3', 'g-1']);
      } finally {
        await ledger.close();
      }
    });

    it('rejects every operation of a group whose transaction cannot begin, and none takes effect', async () => {
      const path = join(tempDir(), 'busy.db');
      const ledger = new SqliteLedger({ path, busyTimeoutMs: 10 });
      const holder = new Database(path);
      try {
        holder.exec('BEGIN IMMEDIATE'); // another process holds the write lock
        const ops = [reserve(ledger, 'r1', 10), ledger.settle(record(1), [bucket])];
        for (const op of ops) await expect(op).rejects.toThrow(/locked|busy/i);
        holder.exec('ROLLBACK');
        expect(await ledger.records({})).toEqual([]);
        expect((await ledger.bucketStates([bucket], T0))[0]).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
        // The next group goes through.
        expect((await reserve(ledger, 'r2', 10)).ok).toBe(true);
      } finally {
        holder.close();
        await ledger.close();
      }
    });

    it('commits at once when maxBatch operations are queued, and on flush() and close()', async () => {
      const path = join(tempDir(), 'max.db');
      const other = new SqliteLedger({ path });
      const ledger = new SqliteLedger({ path, maxBatch: 3 });
      const first = [1, 2, 3].map((i) => ledger.settle(record(i), [bucket]));
      // The third filled the group: written before this turn ends.
      expect(await other.records({})).toHaveLength(3);
      await Promise.all(first);
      const fourth = ledger.settle(record(4), [bucket]);
      await ledger.flush();
      expect(await other.records({})).toHaveLength(4);
      await fourth;
      const fifth = ledger.settle(record(5), [bucket]);
      await ledger.close();
      expect((await fifth)[0]?.spentNanos).toBe(500);
      expect(await other.records({})).toHaveLength(5);
      await other.close();
    });

    it("accepts durability 'batched' from older configurations and writes as 'transaction' does; rejects invalid options, naming them", async () => {
      const path = join(tempDir(), 'x.db');
      const batched = new SqliteLedger({ path, durability: 'batched' });
      const other = new SqliteLedger({ path });
      await batched.settle(record(1), [bucket]);
      expect(await other.records({})).toHaveLength(1);
      await batched.close();
      await other.close();
      expect(() => new SqliteLedger({ path, durability: 'lazy' as never })).toThrow(/durability must be 'transaction' or 'batched'/);
      expect(() => new SqliteLedger({ path, flushIntervalMs: 0 })).toThrow(/flushIntervalMs/);
      expect(() => new SqliteLedger({ path, maxBatch: 1.5 })).toThrow(/maxBatch/);
    });
  });
});
