import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/ledger/Ledger.js';
import { CallIdTable } from '../../src/ledger/memory/CallIdTable.js';
import { formatHexWords, parseHexWords } from '../../src/ledger/memory/hexWords.js';
import { RecordColumns } from '../../src/ledger/memory/RecordColumns.js';
import { dimensionsOf, totalsOf } from '../../src/ledger/usageDimensions.js';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

/**
 * Ids as the table sees them: span ids (kept as words), ids of the same length that are not
 * lowercase hex (kept as strings), other strings. Drawn from a small pool so that sequences
 * hit the same ids again, and span ids that differ in few bits so that probe runs collide.
 */
const idPool = fc
  .tuple(
    fc.array(hex(16), { minLength: 1, maxLength: 12 }),
    fc.array(fc.constantFrom('0000000000000001', '0000000000000002', '0000000100000001', 'ffffffffffffffff', '00000000ffffffff'), { maxLength: 5 }),
    fc.array(fc.oneof(fc.constantFrom('B7AD6B7169203331', 'r1', '', 'call-1', 'zzzzzzzzzzzzzzzz'), fc.string({ maxLength: 20 })), { maxLength: 5 }),
  )
  .map(([a, b, c]) => [...new Set([...a, ...b, ...c])]);

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), key: fc.nat(40), value: fc.nat(1_000_000) }),
    fc.record({ op: fc.constant('add' as const), key: fc.nat(40), value: fc.nat(1_000_000) }),
    fc.record({ op: fc.constant('take' as const), key: fc.nat(40) }),
    fc.record({ op: fc.constant('delete' as const), key: fc.nat(40) }),
    fc.record({ op: fc.constant('compact' as const) }),
  ),
  { maxLength: 300 },
);

describe('hex words', () => {
  it('round-trips lowercase span and trace ids, and refuses anything else', () => {
    const w = new Uint32Array(4);
    expect(parseHexWords('b7ad6b7169203331', 2, w, 0)).toBe(true);
    expect(formatHexWords(w, 0, 2)).toBe('b7ad6b7169203331');
    expect(parseHexWords('0af7651916cd43dd8448eb211c80319c', 4, w, 0)).toBe(true);
    expect(formatHexWords(w, 0, 4)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parseHexWords('00000000000000ff', 2, w, 0)).toBe(true);
    expect(formatHexWords(w, 0, 2)).toBe('00000000000000ff');
    for (const bad of ['B7AD6B7169203331', 'b7ad6b716920333', 'b7ad6b71692033311', 'b7ad6b716920333g', '']) {
      expect(parseHexWords(bad, 2, w, 0)).toBe(false);
    }
  });
});

describe('CallIdTable', () => {
  it('answers like a Map under any sequence of sets, adds, takes, deletes and compactions', () => {
    fc.assert(
      fc.property(idPool, ops, (pool, sequence) => {
        const table = new CallIdTable();
        const model = new Map<string, number>();
        for (const step of sequence) {
          if (step.op === 'compact') {
            table.compact();
          } else {
            const id = pool[step.key % pool.length] as string;
            if (step.op === 'set') {
              table.set(id, step.value);
              model.set(id, step.value);
            } else if (step.op === 'add') {
              const added = !model.has(id);
              if (added) model.set(id, step.value);
              expect(table.add(id, step.value)).toBe(added);
            } else if (step.op === 'take') {
              expect(table.take(id)).toBe(model.get(id) ?? -1);
              model.delete(id);
            } else {
              table.delete(id);
              model.delete(id);
            }
          }
          expect(table.size).toBe(model.size);
        }
        for (const id of pool) expect(table.get(id)).toBe(model.get(id) ?? -1);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every id through growth and after deleting most of them (backward-shift deletion, compaction)', () => {
    const table = new CallIdTable();
    const ids = Array.from({ length: 5_000 }, (_, i) => (i * 2_654_435_761).toString(16).padStart(16, '0').slice(-16));
    ids.forEach((id, i) => table.set(id, i));
    expect(table.size).toBe(5_000);
    for (let i = 0; i < 5_000; i += 3) table.delete(ids[i] as string);
    table.compact();
    ids.forEach((id, i) => expect(table.get(id)).toBe(i % 3 === 0 ? -1 : i));
    const w = new Uint32Array(2);
    parseHexWords(ids[1] as string, 2, w, 0);
    expect(table.getWords(w[0] as number, w[1] as number)).toBe(1);
    table.deleteWords(w[0] as number, w[1] as number);
    expect(table.get(ids[1] as string)).toBe(-1);
  });
});

const record = (over: Partial<UsageRecord>): UsageRecord => ({
  id: '0000000000000001',
  time: 0,
  provider: 'openai',
  model: 'gpt-4o-mini',
  operation: 'chat',
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costNanos: 0,
  status: 'ok',
  ...over,
});

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
          // Stable: after every record of time <= r.time.
          let at = model.length;
          while (at > 0 && (model[at - 1] as UsageRecord).time > r.time) at--;
          model.splice(at, 0, structuredClone(r));
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

  it('grows past its first capacity and gives memory back after a large drop, keeping the records', () => {
    const cols = new RecordColumns();
    for (let i = 0; i < 10_000; i++) cols.insert(record({ id: i.toString(16).padStart(16, '0'), time: i, costNanos: i }));
    cols.dropFirst(9_990);
    expect(cols.length).toBe(10);
    for (let i = 0; i < 10; i++) expect(cols.recordAt(i)).toEqual(record({ id: (9_990 + i).toString(16).padStart(16, '0'), time: 9_990 + i, costNanos: 9_990 + i }));
    cols.insert(record({ id: 'late', time: 5 }));
    expect(cols.recordAt(0).id).toBe('late');
  });
});
