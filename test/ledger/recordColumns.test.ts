import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHexWords } from '../../src/ledger/memory/hexWords.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { RecordColumns } from '../../src/ledger/memory/RecordColumns.js';
import { dimensionsOf, totalsOf } from '../../src/ledger/usageDimensions.js';
import { usageRecord } from '../helpers/usageRecord.js';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

const record = (over: Partial<UsageRecord>): UsageRecord => usageRecord({ id: '0000000000000001', time: 0, model: 'gpt-4o-mini', ...over });

/** Inserts a copy of `r` into `model` as the columns must: after every record of time <= r.time. */
function insertSorted(model: UsageRecord[], r: UsageRecord): void {
  let at = model.length;
  while (at > 0 && (model[at - 1] as UsageRecord).time > r.time) at--;
  model.splice(at, 0, structuredClone(r));
}

const arbRecord = fc
  .record({
    id: fc.oneof(hex(16), fc.constantFrom('r1', 'B7AD6B7169203331', 'call-7')),
    time: fc.integer({ min: 0, max: 50 }),
    traceId: fc.option(fc.oneof(hex(32), fc.constantFrom('not-a-trace', '0AF7651916CD43DD8448EB211C80319C')), { nil: undefined }),
    spanMode: fc.constantFrom('same', 'other', 'none'),
    requestId: fc.option(fc.constantFrom('chatcmpl-1', 'msg_2'), { nil: undefined }),
    task: fc.option(fc.constantFrom('T-1', 'T-2'), { nil: undefined }),
    session: fc.option(fc.constantFrom('S-1'), { nil: undefined }),
    agent: fc.option(fc.constantFrom('planner'), { nil: undefined }),
    provider: fc.constantFrom('openai', 'anthropic'),
    model: fc.constantFrom('gpt-4o-mini', 'claude-sonnet-4'),
    status: fc.constantFrom('ok', 'error', 'denied', 'cost_exceeded') as fc.Arbitrary<UsageRecord['status']>,
    inputTokens: fc.nat(1_000_000),
    outputTokens: fc.nat(100_000),
    costNanos: fc.nat(Number.MAX_SAFE_INTEGER),
    metadata: fc.option(fc.dictionary(fc.constantFrom('error.type', 'retries'), fc.oneof(fc.string(), fc.integer(), fc.boolean())), { nil: undefined }),
  })
  .map(({ spanMode, ...r }) => {
    const out = record({ ...r, cacheReadTokens: Math.floor(r.inputTokens / 3), cacheWriteTokens: 7, reasoningTokens: Math.floor(r.outputTokens / 2) });
    if (spanMode === 'same') out.spanId = r.id;
    if (spanMode === 'other') out.spanId = 'b7ad6b7169203331';
    for (const k of Object.keys(out) as (keyof UsageRecord)[]) if (out[k] === undefined) delete out[k];
    return out;
  });

describe('RecordColumns', () => {
  it('holds records in time order (equal times in insertion order) with every field as given, and drops the oldest', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 600 }), fc.nat(700), (records, drop) => {
        const cols = new RecordColumns();
        const model: UsageRecord[] = [];
        for (const r of records) {
          cols.insert(r);
          insertSorted(model, r);
        }
        expect(cols.length).toBe(model.length);
        model.forEach((r, i) => {
          expect(cols.recordAt(i)).toEqual(r);
          expect(cols.timeAt(i)).toBe(r.time);
          expect(cols.traceIdAt(i)).toBe(r.traceId);
          expect(cols.taskAt(i)).toBe(r.task);
          expect(cols.sessionAt(i)).toBe(r.session);
          expect(cols.dimensionsAt(i)).toEqual(dimensionsOf(r));
          expect(cols.totalsAt(i)).toEqual(totalsOf(r));
        });
        const t = model.length > 0 ? (model[Math.min(drop, model.length - 1)] as UsageRecord).time : 0;
        expect(cols.lowerBound(t)).toBe(model.findIndex((r) => r.time >= t) === -1 ? model.length : model.findIndex((r) => r.time >= t));
        const n = Math.min(drop, model.length);
        const dropped: string[] = [];
        cols.forEachId(
          n,
          (hi, lo) => dropped.push(formatHexWords(Uint32Array.of(hi, lo), 0, 2)),
          (id) => dropped.push(id),
        );
        expect(dropped).toEqual(model.slice(0, n).map((r) => r.id));
        cols.dropFirst(n);
        const rest = model.slice(n);
        expect(cols.length).toBe(rest.length);
        rest.forEach((r, i) => expect(cols.recordAt(i)).toEqual(r));
      }),
      { numRuns: 100 },
    );
  });

  it('answers like a sorted array under any mix of inserts (in and out of time order) and drops of the oldest', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), records: fc.array(arbRecord, { maxLength: 300 }), base: fc.nat(1_000) }),
      fc.record({ op: fc.constant('drop' as const), n: fc.nat(400) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        const cols = new RecordColumns();
        let model: UsageRecord[] = [];
        let clock = 0;
        for (const s of steps) {
          if (s.op === 'drop') {
            const n = Math.min(s.n, model.length);
            cols.dropFirst(n);
            model = model.slice(n);
          } else {
            for (const r0 of s.records) {
              // Time mostly moves on; now and then a record is older than the newest.
              const r = { ...r0, time: r0.time % 7 === 0 ? clock - r0.time : (clock += r0.time % 5) };
              cols.insert(r);
              insertSorted(model, r);
            }
          }
          expect(cols.length).toBe(model.length);
          model.forEach((r, i) => {
            expect(cols.timeAt(i)).toBe(r.time);
            expect(cols.traceIdAt(i)).toBe(r.traceId);
            expect(cols.taskAt(i)).toBe(r.task);
          });
          if (model.length > 0) {
            expect(cols.recordAt(0)).toEqual(model[0]);
            expect(cols.recordAt(model.length - 1)).toEqual(model[model.length - 1]);
            expect(cols.totalsAt(model.length >> 1)).toEqual(totalsOf(model[model.length >> 1] as UsageRecord));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('moves the records to the front when the newest reach the end of the arrays and most of the room is free', () => {
    const cols = new RecordColumns();
    const id = (i: number) => i.toString(16).padStart(16, '0');
    for (let i = 0; i < 256; i++) cols.insert(record({ id: id(i), time: i }));
    const room = cols.capacity;
    cols.dropFirst(200);
    for (let i = 256; i < 256 + 150; i++) cols.insert(record({ id: id(i), time: i }));
    // One older than the newest lands in time order.
    cols.insert(record({ id: 'late', time: 300 }));
    expect(cols.capacity).toBe(room);
    expect(cols.length).toBe(207);
    const times = Array.from({ length: cols.length }, (_, i) => cols.timeAt(i));
    expect(times).toEqual([...Array.from({ length: 56 }, (_, i) => 200 + i), ...Array.from({ length: 45 }, (_, i) => 256 + i), 300, ...Array.from({ length: 105 }, (_, i) => 301 + i)]);
    expect(cols.recordAt(0).id).toBe(id(200));
    expect(cols.recordAt(101).id).toBe('late');
    expect(cols.recordAt(206).id).toBe(id(405));
  });

  it('stores copies: changing a record or its metadata afterwards, or what recordAt returned, changes nothing stored', () => {
    const cols = new RecordColumns();
    const r = record({ metadata: { retries: 1 } });
    cols.insert(r);
    (r.metadata as Record<string, number>).retries = 5;
    r.model = 'other';
    const out = cols.recordAt(0);
    (out.metadata as Record<string, number>).retries = 9;
    expect(cols.recordAt(0)).toEqual(record({ metadata: { retries: 1 } }));
  });

  it('grows past its first capacity and gives memory back once far fewer records are held between drops, keeping the records', () => {
    const cols = new RecordColumns();
    for (let i = 0; i < 10_000; i++) cols.insert(record({ id: i.toString(16).padStart(16, '0'), time: i, costNanos: i }));
    expect(cols.capacity).toBeGreaterThanOrEqual(10_000);
    // The store filled to 10,000 since the last drop: it keeps the room to fill up again.
    cols.dropFirst(9_980);
    expect(cols.capacity).toBeGreaterThanOrEqual(10_000);
    // Only 20 held since then: the columns shrink.
    cols.dropFirst(10);
    expect(cols.capacity).toBeLessThanOrEqual(256);
    expect(cols.length).toBe(10);
    for (let i = 0; i < 10; i++) expect(cols.recordAt(i)).toEqual(record({ id: (9_990 + i).toString(16).padStart(16, '0'), time: 9_990 + i, costNanos: 9_990 + i }));
    cols.insert(record({ id: 'late', time: 5 }));
    expect(cols.recordAt(0).id).toBe('late');
  });
});
