/**
 * Slack on the SQLite ledger (ProcessSlack), on real files: reservations admitted from slack
 * without a transaction, the slack rows other ledgers on the file count, and giving slack back.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../../src/ledger/sqlite.js';
import type { ReserveResult } from '../../../src/ledger/Ledger.js';
import { tempDirs } from '../../helpers/tempDirs.js';

const temp = tempDirs('tollgate-slack-');
const tempPath = (): string => temp.file('ledger.db');

const cap = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true };
const settled = (id: string, costNanos: number, time = 1_000) => ({
  id, time, provider: 'openai', model: 'm', operation: 'chat', inputTokens: 0, outputTokens: 0,
  cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos, status: 'ok' as const,
});
const reserve = (id: string, amountNanos: number, now = 1_000) => ({ id, amountNanos, buckets: [cap], now, expiresAt: now + 60_000 });

/** The slack rows of the file, as another process reads them. */
function slackRows(path: string): { reserved: number; expiresAt: number }[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare<[], { reserved: number; expiresAt: number }>("SELECT reserved_nanos AS reserved, expires_at AS expiresAt FROM bucket_holds WHERE instance LIKE 'slack:%'").all();
  } finally {
    raw.close();
  }
}

describe('SqliteLedger slack', () => {
  it('a reservation that fits the slack is answered at once, with no transaction; the slack row holds its amount meanwhile', async () => {
    const path = tempPath();
    const ledger = new SqliteLedger({ path });
    const spy = new Database(path, { readonly: true });
    try {
      // The first reservation takes, in its transaction, 16 reservations' worth of the headroom.
      expect(ledger.reserve(reserve('a', 1_000))).toBeInstanceOf(Promise);
      await ledger.flush();
      expect(slackRows(path)).toEqual([{ reserved: 16_000, expiresAt: 1_000 + 120_000 }]);
      const version = spy.pragma('data_version', { simple: true });
      const answer = ledger.reserve(reserve('b', 1_000));
      // Answered without a promise: no group, no transaction, nothing written.
      expect(answer).not.toBeInstanceOf(Promise);
      expect((answer as ReserveResult).ok).toBe(true);
      expect((answer as ReserveResult).states).toEqual([{ key: cap.key, budgetId: 'daily', limitNanos: 1_000_000, spentNanos: 0, reservedNanos: 2_000 }]);
      expect(spy.pragma('data_version', { simple: true })).toBe(version);
      expect(slackRows(path)).toEqual([{ reserved: 16_000, expiresAt: 121_000 }]);
      // Its own slack is not in this ledger's states; another ledger on the file counts it.
      expect((await ledger.bucketStates([cap], 1_000))[0]?.reservedNanos).toBe(2_000);
      const other = new SqliteLedger({ path });
      try {
        expect((await other.bucketStates([cap], 1_000))[0]?.reservedNanos).toBe(1_000 + 16_000);
      } finally {
        await other.close();
      }
      // A settlement goes through a group and is in the file when it resolves.
      await ledger.settle(settled('b', 700), [cap]);
      expect(spy.pragma('data_version', { simple: true })).not.toBe(version);
      expect((await ledger.bucketStates([cap], 1_000))[0]).toMatchObject({ spentNanos: 700, reservedNanos: 1_000 });
    } finally {
      spy.close();
      await ledger.close();
    }
  });

  it('answers from slack while only settlements are queued, with their spend in its states', async () => {
    const ledger = new SqliteLedger({ path: tempPath() });
    try {
      await ledger.reserve(reserve('a', 1_000));
      const settling = ledger.settle(settled('a', 400), [cap]);
      const answer = ledger.reserve(reserve('b', 1_000));
      expect(answer).not.toBeInstanceOf(Promise);
      expect((answer as ReserveResult).states[0]).toMatchObject({ spentNanos: 400, reservedNanos: 1_000 });
      await settling;
      // Any other queued operation sends the next reservation through the group.
      const reading = ledger.bucketStates([cap], 1_000);
      expect(ledger.reserve(reserve('c', 1_000))).toBeInstanceOf(Promise);
      await reading;
    } finally {
      await ledger.close();
    }
  });

  it('takes no slack near the cap: the last part of it is decided call by call', async () => {
    const path = tempPath();
    const ledger = new SqliteLedger({ path });
    try {
      // 1,000,000 - 970,000 = 30,000 left, under 8 reservations of 1,000 × 4: no slack.
      await ledger.settle(settled('spent', 970_000), [cap]);
      for (let i = 0; i < 30; i++) expect(ledger.reserve(reserve(`r${i}`, 1_000))).toBeInstanceOf(Promise);
      await ledger.flush();
      expect(slackRows(path)).toEqual([]);
      expect((await ledger.reserve(reserve('over', 1))).ok).toBe(false);
    } finally {
      await ledger.close();
    }
  });

  it('gives idle slack back, and all of it on close', async () => {
    const path = tempPath();
    const ledger = new SqliteLedger({ path });
    await ledger.reserve(reserve('a', 1_000));
    expect(slackRows(path)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(slackRows(path)).toEqual([]);
    await ledger.reserve(reserve('b', 1_000));
    expect(slackRows(path)).toHaveLength(1);
    await ledger.close();
    expect(slackRows(path)).toEqual([]);
  });

  it('says so when idle slack cannot be given back (the file stays locked); the slack keeps counting (errs closed)', async () => {
    const path = tempPath();
    const warnings: string[] = [];
    diag.setLogger({ error: () => undefined, warn: (m: string) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
    const ledger = new SqliteLedger({ path, busyTimeoutMs: 10 });
    const holder = new Database(path);
    try {
      await ledger.reserve(reserve('a', 1_000));
      await ledger.settle(settled('a', 1_000), [cap]);
      expect(slackRows(path)).toHaveLength(1);
      holder.exec('BEGIN IMMEDIATE'); // another process holds the write lock
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(warnings.join('\n')).toMatch(/giving back this process's SQLite slack failed; it keeps counting against its caps until its row expires/);
      holder.exec('ROLLBACK');
      expect(slackRows(path)).toHaveLength(1);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await ledger.close();
      diag.disable();
    }
  });

  it('a reservation only another ledger\'s idle slack keeps out is decided again once that slack is back, and admitted', async () => {
    const path = tempPath();
    const a = new SqliteLedger({ path });
    const b = new SqliteLedger({ path });
    try {
      // A holds 100,000 and takes slack: 900,000 / 4, at most 16 × 100,000, so 225,000.
      await a.reserve(reserve('a', 100_000));
      expect(slackRows(path)).toEqual([{ reserved: 225_000, expiresAt: 121_000 }]);
      // 900,000 fit beside A's reservation, not beside its slack: B's answer waits for A's slack to come back.
      const started = Date.now();
      const result = await b.reserve(reserve('b', 900_000));
      expect(result.ok).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect((await b.bucketStates([cap], 1_000))[0]?.reservedNanos).toBe(1_000_000);
      // The cap is full: A's next reservation is refused (its slack is gone, and B took none).
      expect((await a.reserve(reserve('a2', 1))).ok).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
