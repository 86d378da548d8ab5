import { describe, expect, it } from 'vitest';
import { newCallId } from '../../src/core/callId.js';

describe('newCallId', () => {
  it('gives 16 lowercase hex digits, as a span id, and no two alike in 100,000', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = newCallId();
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(100_000);
  });
});
