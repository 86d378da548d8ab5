import { join } from 'node:path';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';
import { SqliteLedger } from '../../../src/ledger/sqlite.js';
import { tempDirs } from '../../helpers/tempDirs.js';

const tempDir = tempDirs('tollgate-records-').dir;
const bucket = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true };

const record = (id: string, time: number, costNanos: number, extra: Partial<UsageRecord> = {}): UsageRecord => ({
  id, time, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat', inputTokens: 3, outputTokens: 4,
  cacheReadTokens: 1, cacheWriteTokens: 0, reasoningTokens: 2, costNanos, status: 'ok', ...extra,
});

/** The `records` table and index of schema v4 (the id its primary key, a time index), holding no rows, the file at version 4. */
function backToV4(path: string): void {
  const raw = new Database(path);
  try {
    raw.exec(`
      DROP TABLE records;
      CREATE TABLE records (
        id TEXT PRIMARY KEY, time INTEGER NOT NULL, trace_id TEXT, span_id TEXT, request_id TEXT, task TEXT, session TEXT,
        agent TEXT, provider TEXT NOT NULL, model TEXT NOT NULL, operation TEXT NOT NULL, input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, status TEXT NOT NULL, metadata TEXT,
        user_id TEXT, team TEXT, api_key_hash TEXT, tags TEXT);
      CREATE INDEX records_time ON records (time);
      DELETE FROM schema_version WHERE version > 4;
    `);
  } finally {
    raw.close();
  }
}

/** The indexes of `records` (SQLite's own for a primary key included), and whether each is unique. */
function recordIndexes(path: string): { name: string; unique: number }[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare<[], { name: string; unique: number }>('SELECT name, "unique" FROM pragma_index_list(\'records\') ORDER BY name').all();
  } finally {
    raw.close();
  }
}

describe('SqliteLedger records table', () => {
  let restoreLogger: (() => void) | undefined;
  afterEach(() => {
    restoreLogger?.();
    restoreLogger = undefined;
  });

  it('keeps one index on records, unique on (time, id), which the time range reads use: no index puts a settlement at a random place', async () => {
    const path = join(tempDir(), 'fresh.db');
    await new SqliteLedger({ path }).close();
    expect(recordIndexes(path)).toEqual([{ name: 'records_time_id', unique: 1 }]);
    const raw = new Database(path, { readonly: true });
    try {
      const plan = raw.prepare('EXPLAIN QUERY PLAN SELECT * FROM records WHERE time >= ? AND time < ? ORDER BY time DESC, rowid DESC LIMIT 10').all(0, 1) as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' | ')).toContain('records_time_id');
    } finally {
      raw.close();
    }
  });

  it('migrates a v4 file: every record kept with its fields and order, a record settled again still ignored, new ones stored', async () => {
    const path = join(tempDir(), 'v4.db');
    await new SqliteLedger({ path }).close();
    backToV4(path);
    const old = new Database(path);
    try {
      const insert = old.prepare(
        `INSERT INTO records (id, time, trace_id, span_id, task, session, provider, model, operation, input_tokens, output_tokens,
           cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, status, metadata, user_id, team, api_key_hash, tags)
         VALUES (?, ?, 'tr', 'sp', 'T-1', 'S-1', 'openai', 'gpt-4o-mini', 'chat', 3, 4, 1, 0, 2, ?, 'ok', '{"k":"v"}', 'u', 'tm', 'h', '["a"]')`,
      );
      // Two records at the same time: the one written last is read first, before and after the rebuild.
      insert.run('first', 1000, 10);
      insert.run('second', 1000, 20);
      insert.run('third', 2000, 30);
    } finally {
      old.close();
    }
    expect(recordIndexes(path).map((i) => i.name)).toEqual(['records_time', 'sqlite_autoindex_records_1']);

    const ledger = new SqliteLedger({ path });
    try {
      const stored = await ledger.records({});
      expect(stored.map((r) => r.id)).toEqual(['third', 'second', 'first']);
      expect(stored[2]).toEqual({
        id: 'first', time: 1000, traceId: 'tr', spanId: 'sp', task: 'T-1', session: 'S-1', provider: 'openai', model: 'gpt-4o-mini',
        operation: 'chat', inputTokens: 3, outputTokens: 4, cacheReadTokens: 1, cacheWriteTokens: 0, reasoningTokens: 2, costNanos: 10,
        status: 'ok', metadata: { k: 'v' }, user: 'u', team: 'tm', apiKeyHash: 'h', tags: ['a'],
      });
      // The same record again (its id at its time) changes nothing; a new one is stored and charged.
      await ledger.settle(record('third', 2000, 30), [bucket]);
      await ledger.settle(record('fourth', 3000, 40), [bucket]);
      expect((await ledger.records({})).map((r) => [r.id, r.costNanos])).toEqual([['fourth', 40], ['third', 30], ['second', 20], ['first', 10]]);
      expect((await ledger.bucketStates([bucket], 3000))[0]?.spentNanos).toBe(40);
      expect(await ledger.prune(1500)).toBe(2);
      expect((await ledger.records({})).map((r) => r.id)).toEqual(['fourth', 'third']);
    } finally {
      await ledger.close();
    }
    expect(recordIndexes(path)).toEqual([{ name: 'records_time_id', unique: 1 }]);
  });

  it('says so when the v5 rebuild has many records to copy', async () => {
    const path = join(tempDir(), 'large.db');
    await new SqliteLedger({ path }).close();
    backToV4(path);
    const old = new Database(path);
    try {
      old.exec(`
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000)
        INSERT INTO records (id, time, provider, model, operation, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
          reasoning_tokens, cost_nanos, status)
        SELECT 'r' || i, i, 'openai', 'm', 'chat', 0, 0, 0, 0, 0, 1, 'ok' FROM n;
      `);
    } finally {
      old.close();
    }
    const warnings: string[] = [];
    const logger: DiagLogger = { error: () => undefined, warn: (m: string) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined };
    diag.setLogger(logger, DiagLogLevel.WARN);
    restoreLogger = () => diag.disable();
    const ledger = new SqliteLedger({ path });
    try {
      expect(warnings.filter((w) => w.includes('rebuilding the records table'))).toEqual([expect.stringContaining('500000 records')]);
      expect((await ledger.records({ limit: 1 }))[0]?.id).toBe('r500000');
    } finally {
      await ledger.close();
    }
  }, 60_000);
});
