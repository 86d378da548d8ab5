import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bucket } from '../../../src/ledger/Ledger.js';
import { SettlementJournal } from '../../../src/ledger/redis/SettlementJournal.js';
import type { JournalEntry } from '../../../src/ledger/redis/SettlementJournal.js';
import { usageRecord } from '../../helpers/usageRecord.js';

const bucket: Bucket = { key: 'daily|global|2026-11-23', budgetId: 'daily', limitNanos: 1_000, enforce: true };
const entry = (id: string): JournalEntry => ({ record: usageRecord({ id, time: Date.UTC(2026, 10, 23), costNanos: 7 }), buckets: [bucket] });
const line = (id: string): string => `${JSON.stringify(entry(id))}\n`;

/** The pid of a process that has exited. */
function deadPid(): number {
  for (;;) {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(child.stdout);
    // On a busy machine the pid may already belong to a new process: take another one then.
    if (!isAlive(pid)) return pid;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SettlementJournal', () => {
  let dir: string;
  const journals: SettlementJournal[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-journal-test-'));
  });
  afterEach(() => {
    for (const j of journals.splice(0)) j.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (): SettlementJournal => {
    const j = new SettlementJournal(dir);
    journals.push(j);
    return j;
  };

  it('gives back what it journaled, once, and keeps what failed again', () => {
    const j = open();
    expect(j.hasWork()).toBe(false);
    j.append([entry('a'), entry('b')]);
    expect(j.pending).toBe(2);
    const take = j.take();
    expect(take.entries.map((e) => e.record.id)).toEqual(['a', 'b']);
    expect(take.entries[0]).toEqual(entry('a'));
    j.finish(take, [take.entries[1] as JournalEntry]);
    expect(j.pending).toBe(1);
    expect(j.take().entries.map((e) => e.record.id)).toEqual(['b']);
  });

  it("claims the files of processes that are gone and of closed ledgers in this process, never a live one's", () => {
    writeFileSync(join(dir, `${deadPid()}-abc123.jsonl`), line('dead'));
    writeFileSync(join(dir, `${process.ppid}-def456.jsonl`), line('alive'));
    const closed = new SettlementJournal(dir);
    closed.append([entry('closed')]);
    const live = open();
    live.append([entry('live')]);
    closed.close();

    const j = open();
    expect(j.hasWork()).toBe(true);
    const take = j.take();
    expect(take.entries.map((e) => e.record.id).sort()).toEqual(['closed', 'dead']);
    j.finish(take, []);
    // The live ledgers' files are still there; the claimed ones are gone.
    const left = readdirSync(dir);
    expect(left).toHaveLength(2);
    expect(left).toEqual(expect.arrayContaining([`${process.ppid}-def456.jsonl`, expect.stringMatching(new RegExp(`^${process.pid}-[0-9a-f]+\\.jsonl$`))]));
    expect(live.take().entries.map((e) => e.record.id)).toEqual(['live']);
  });

  it('drops torn lines and counts them', () => {
    writeFileSync(join(dir, `${deadPid()}-abc123.jsonl`), `${line('ok')}{"record":{"id":`);
    const take = open().take();
    expect(take.entries.map((e) => e.record.id)).toEqual(['ok']);
    expect(take.unreadable).toBe(1);
  });

  it('has a stable default directory per store URL and key prefix', () => {
    const a = SettlementJournal.defaultDir('redis://10.0.0.1:6379/0', 'tollgate:');
    expect(SettlementJournal.defaultDir('redis://10.0.0.1:6379/0', 'tollgate:')).toBe(a);
    expect(SettlementJournal.defaultDir('redis://10.0.0.1:6379/1', 'tollgate:')).not.toBe(a);
    expect(SettlementJournal.defaultDir('redis://10.0.0.1:6379/0', 'other:')).not.toBe(a);
    expect(a.startsWith(join(tmpdir(), 'tollgate-journal-'))).toBe(true);
  });
});
