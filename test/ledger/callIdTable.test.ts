import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallIdTable } from '../../src/ledger/memory/CallIdTable.js';
import { formatHexWords, parseHexWords } from '../../src/ledger/memory/hexWords.js';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

/**
 * Ids as the table sees them: span ids (kept as words), ids of the same length that are not
 * lowercase hex (kept as strings), other strings. Drawn from a small pool so that sequences
 * hit the same ids again, and span ids that differ in few bits so that probe runs collide.
 */
const idPool = (() => {
  const digits = 16;
  const near = ['1', '2', '100000001', 'f'.repeat(digits), 'ffffffff'].map((x) => x.padStart(digits, '0'));
  return fc
    .tuple(
      fc.array(hex(digits), { minLength: 1, maxLength: 12 }),
      fc.array(fc.constantFrom(...near), { maxLength: 5 }),
      fc.array(fc.oneof(fc.constantFrom('B'.repeat(digits), 'r1', '', 'call-1', 'z'.repeat(digits)), fc.string({ maxLength: 40 })), { maxLength: 5 }),
    )
    .map(([a, b, c]) => [...new Set([...a, ...b, ...c])]);
})();

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
    const full = table.capacity;
    expect(full).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < 5_000; i += 3) table.delete(ids[i] as string);
    // Compacting keeps room for the most held since the last compact (5,000), then shrinks.
    table.compact();
    expect(table.capacity).toBe(full);
    ids.forEach((id, i) => expect(table.get(id)).toBe(i % 3 === 0 ? -1 : i));
    for (let i = 11; i < 5_000; i++) table.delete(ids[i] as string);
    table.compact();
    expect(table.capacity).toBeLessThan(full);
    table.compact();
    expect(table.capacity).toBeLessThanOrEqual(64);
    ids.forEach((id, i) => expect(table.get(id)).toBe(i % 3 !== 0 && i <= 10 ? i : -1));
    const w = new Uint32Array(2);
    parseHexWords(ids[1] as string, 2, w, 0);
    expect(table.getWords(w[0] as number, w[1] as number)).toBe(1);
    table.deleteWords(w[0] as number, w[1] as number);
    expect(table.get(ids[1] as string)).toBe(-1);
  });
});
