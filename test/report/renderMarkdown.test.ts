import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/renderMarkdown.js';
import type { ReportData } from '../../src/report/ReportData.js';
import { NOW, reportData } from './reportData.fixture.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const empty: ReportData = {
  generatedAt: NOW,
  last24h: { costUsd: 0, calls: 0, inputTokens: 0, outputTokens: 0 },
  byProvider: [],
  byModel: [],
  topTasks: [],
  budgets: [],
  rateLimits: [],
};

describe('renderMarkdown', () => {
  it('renders every section of a full report', () => {
    expect(renderMarkdown(reportData)).toBe(fixture('report.md'));
  });

  it('says so when a section has nothing to show', () => {
    expect(renderMarkdown(empty)).toBe(
      [
        '# tollgate spend report',
        '',
        'Generated 2026-11-23 12:00:00 UTC · all recorded usage',
        '',
        '## Session spend',
        '',
        '_No session in this report._',
        '',
        '## Last 24 h',
        '',
        '| Cost | Calls | Input tokens | Output tokens |',
        '| ---: | ---: | ---: | ---: |',
        '| $0.0000 | 0 | 0 | 0 |',
        '',
        '## Per provider',
        '',
        '_No usage._',
        '',
        '## Per model',
        '',
        '_No usage._',
        '',
        '## Top tasks',
        '',
        '_No usage._',
        '',
        '## Budgets',
        '',
        '_No budgets configured._',
        '',
        '## Rate limits',
        '',
        '_No rate limits configured._',
        '',
        '## Events',
        '',
        '_No events recorded._',
        '',
      ].join('\n'),
    );
  });

  it('describes open-ended ranges and an anonymous single-call session', () => {
    const since = renderMarkdown({ ...empty, since: NOW - 3_600_000, session: { costUsd: 0.00004, calls: 1 } });
    expect(since).toContain('Generated 2026-11-23 12:00:00 UTC · since 2026-11-23 11:00:00 UTC\n');
    expect(since).toContain('\nThis session: <$0.0001 over 1 call.\n');
    expect(renderMarkdown({ ...empty, until: NOW })).toContain('· until 2026-11-23 12:00:00 UTC\n');
  });

  it('keeps table cells and inline code intact whatever the ids contain', () => {
    const md = renderMarkdown({
      ...empty,
      session: { id: 'a`b\nc', costUsd: 1, calls: 2 },
      topTasks: [
        {
          key: 'line1\nline2 | x',
          calls: 1,
          errors: 0,
          inputTokens: 1,
          outputTokens: 1,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
          costNanos: 1_000_000_000,
          toolCalls: 2,
          memoryOps: 0,
          contractChecks: 1,
        },
      ],
    });
    expect(md).toContain("Session `a'b c`: $1.0000 over 2 calls.");
    expect(md).toContain('| line1 line2 \\| x | 1 | 2 | 0 | 1 | 0 | 1 | 1 | $1.0000 |');
  });

  it('rounds half away from zero from exact nanos, not from float sums', () => {
    const g = (key: string, costNanos: number) => ({
      key,
      calls: 1,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      costNanos,
    });
    // 0.1 + 0.2 in float is 0.30000000000000004; in nanos it is exactly 300_000_000.
    const md = renderMarkdown({ ...empty, byModel: [g('a', 100_000_000), g('b', 200_000_000), g('c', 50_000)] });
    expect(md).toContain('| c | 1 | 0 | 0 | 0 | $0.0001 |'); // 0.00005 rounds up
    expect(md).toContain('| **Total** | **3** | **0** | **0** | **0** | **$0.3001** |');
  });
});
