import { describe, expect, it } from 'vitest';
import type { Bucket } from '../../../src/ledger/Ledger.js';
import type { JournalEntry } from '../../../src/ledger/redis/SettlementJournal.js';
import { SpendMemory } from '../../../src/ledger/redis/SpendMemory.js';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';

const NOW = Date.UTC(2026, 11, 3, 12);

/** A daily bucket whose window checks are counted (each read of expiresAt is one check). */
function countedBucket(): { bucket: Bucket; checks: () => number } {
  let checks = 0;
  const bucket = {
    key: 'daily|global|2026-12-03',
    budgetId: 'daily',
    limitNanos: 1e12,
    enforce: true,
    get expiresAt(): number {
      checks++;
      return NOW + 3_600_000;
    },
  } as Bucket;
  return { bucket, checks: () => checks };
}

function entry(i: number, buckets: Bucket[], time = NOW): JournalEntry {
  const record = { id: `call-${i}`, time, provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 10, status: 'ok' } as UsageRecord;
  return { record, buckets } as JournalEntry;
}

describe('SpendMemory', () => {
  it('keeps at most max settlements, forgetting the oldest, and counts what it forgot', () => {
    const { bucket } = countedBucket();
    const memory = new SpendMemory(100);
    for (let i = 0; i < 250; i++) memory.confirmed(entry(i, [bucket]), NOW);
    const snap = memory.snapshot(NOW);
    expect(snap.settlements.length).toBeLessThanOrEqual(100);
    expect(snap.settlements.length + snap.forgotten).toBe(250);
    // the newest are the ones kept
    expect(snap.settlements.at(-1)?.record.id).toBe('call-249');
    expect(snap.settlements.some((e) => e.record.id === 'call-0')).toBe(false);
  });

  it('costs a bounded number of window checks per settlement past the limit (not a sweep of every one kept)', () => {
    const { bucket, checks } = countedBucket();
    const max = 2_000;
    const memory = new SpendMemory(max);
    const calls = 40_000;
    for (let i = 0; i < calls; i++) memory.confirmed(entry(i, [bucket]), NOW);
    // Sweeping all `max` kept settlements on every call past the limit would be ~ (calls - max) × max = 76M checks.
    expect(checks()).toBeLessThan(calls * 40);
  });

  it('drops settlements whose window closed before forgetting open ones', () => {
    const open = countedBucket().bucket;
    const closed: Bucket = { key: 'daily|global|2026-12-02', budgetId: 'daily', limitNanos: 1e12, enforce: true, expiresAt: NOW - 1 };
    const memory = new SpendMemory(10);
    for (let i = 0; i < 5; i++) memory.confirmed(entry(i, [open]), NOW - 10);
    const snap = memory.snapshot(NOW);
    expect(snap.settlements).toHaveLength(5);
    // a settlement whose only window is closed is not kept at all
    memory.confirmed(entry(99, [closed]), NOW);
    expect(memory.snapshot(NOW).settlements).toHaveLength(5);
    expect(memory.snapshot(NOW).forgotten).toBe(0);
  });

  it('counts as forgotten only settlements whose windows were still open when their place was taken', () => {
    const dayEnd = NOW + 1_000;
    const daily: Bucket = { key: 'daily|global|2026-12-03', budgetId: 'daily', limitNanos: 1e12, enforce: true, expiresAt: dayEnd };
    const memory = new SpendMemory(3);
    for (let i = 0; i < 3; i++) memory.confirmed(entry(i, [daily]), NOW);
    // The day ends: the three remembered ones no longer count; the next day's take their places.
    const next: Bucket = { ...daily, key: 'daily|global|2026-12-04', expiresAt: dayEnd + 86_400_000 };
    for (let i = 3; i < 6; i++) memory.confirmed(entry(i, [next], dayEnd + 10), dayEnd + 10);
    expect(memory.snapshot(dayEnd + 10)).toMatchObject({ forgotten: 0 });
    expect(memory.snapshot(dayEnd + 10).settlements.map((e) => e.record.id)).toEqual(['call-3', 'call-4', 'call-5']);
    memory.confirmed(entry(6, [next], dayEnd + 20), dayEnd + 20);
    expect(memory.snapshot(dayEnd + 20)).toMatchObject({ forgotten: 1 });
    expect(memory.snapshot(dayEnd + 20).settlements.map((e) => e.record.id)).toEqual(['call-4', 'call-5', 'call-6']);
  });
});
