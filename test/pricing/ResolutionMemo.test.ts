import { describe, expect, it } from 'vitest';
import type { Resolution } from '../../src/pricing/ModelMatcher.js';
import { ResolutionMemo } from '../../src/pricing/ResolutionMemo.js';

const resolve = (model: string, provider: string | undefined): Resolution => ({
  resolved: { provider: provider ?? 'unknown', model, source: 'unknown', known: false },
});

describe('ResolutionMemo', () => {
  it('computes a pair once and returns the same object after', () => {
    const memo = new ResolutionMemo();
    const first = memo.get('gpt-4o', 'openai', resolve);
    memo.get('claude', undefined, resolve);
    expect(memo.get('gpt-4o', 'openai', resolve)).toBe(first);
    expect(memo.get('gpt-4o', undefined, resolve)).not.toBe(first);
    expect(memo.missCount).toBe(3);
  });

  it('keeps at most `limit` pairs, dropping the oldest of the provider seen first', () => {
    const memo = new ResolutionMemo(2);
    memo.get('a', 'p1', resolve);
    memo.get('b', 'p2', resolve);
    memo.get('c', 'p1', resolve); // drops p1/a, the only pair of p1 until now
    memo.get('b', 'p2', resolve);
    memo.get('c', 'p1', resolve);
    expect(memo.missCount).toBe(3);
    memo.get('a', 'p1', resolve);
    expect(memo.missCount).toBe(4);
  });
});
