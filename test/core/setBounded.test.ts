import { describe, expect, it } from 'vitest';
import { setBounded } from '../../src/core/setBounded.js';

describe('setBounded', () => {
  it('adds entries until the map holds `max`, then forgets the first inserted for each new key', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c'].entries()) setBounded(map, key, i, 3);
    expect([...map.keys()]).toEqual(['a', 'b', 'c']);
    setBounded(map, 'd', 3, 3);
    expect([...map.entries()]).toEqual([['b', 1], ['c', 2], ['d', 3]]);
    setBounded(map, 'c', 20, 3); // a key it holds is updated, nothing forgotten
    expect([...map.entries()]).toEqual([['b', 1], ['c', 20], ['d', 3]]);
  });

  it('holds at most `max` entries however many keys come', () => {
    const map = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) setBounded(map, i, i, 100);
    expect(map.size).toBe(100);
    expect(map.has(9_900)).toBe(true);
    expect(map.has(9_899)).toBe(false);
  });
});
