import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../src/core/UsageRecord.js';
import { rollupDims, rollupField, rollupFieldOf } from '../../../src/ledger/redis/dayRollup.js';
import { dimensionsOf } from '../../../src/ledger/usageDimensions.js';
import { usageRecord } from '../../helpers/usageRecord.js';

const base: UsageRecord = usageRecord({ id: 'a', time: Date.UTC(2026, 2, 10), inputTokens: 1, outputTokens: 1, costNanos: 1 });

describe('rollupFieldOf', () => {
  it('is the field of the record’s dimensions, record after record, whichever dimension changes', () => {
    const records: UsageRecord[] = [
      base,
      { ...base, id: 'b' },
      { ...base, model: 'gpt-4o-mini' },
      { ...base, status: 'error' },
      { ...base, task: 't1', session: 's1', agent: 'a1' },
      { ...base, task: 't1', session: 's1', agent: 'a1', user: 'u', team: 'x', apiKeyHash: 'sha256:00' },
      { ...base, tags: ['x', 'y'] },
      { ...base, tags: ['x', 'z'] },
      { ...base, tags: ['x'] },
      { ...base, metadata: { tool: 'search', n: 2, ok: true } },
      { ...base, metadata: { tool: 'search', n: '2', ok: 'true' } }, // the same strings
      { ...base, metadata: { tool: 'search', n: 3, ok: true } },
      { ...base, metadata: { tool: 'search' } },
      base,
    ];
    for (const r of records) expect(rollupFieldOf(r)).toBe(rollupField(dimensionsOf(r)));
  });

  it('is not fooled by a record whose tags are changed after it was seen', () => {
    const tags = ['a'];
    const first = { ...base, tags };
    expect(rollupFieldOf(first)).toBe(rollupField(dimensionsOf(first)));
    tags.push('b');
    const second = { ...base, tags: ['a', 'b'] };
    expect(rollupFieldOf(second)).toBe(rollupField(dimensionsOf(second)));
    expect(rollupDims('2026-03-10', rollupFieldOf(second))?.tags).toEqual(['a', 'b']);
  });
});
