import { diag, DiagLogLevel } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { Problems } from '../../src/core/Problems.js';

afterEach(() => diag.disable());

describe('Problems: loud by default', () => {
  it('writes one stderr line per distinct problem, counts every occurrence per kind', () => {
    const lines: string[] = [];
    const p = new Problems({ write: (l) => lines.push(l) });
    p.report('store', 'the store failed', new Error('ECONNREFUSED'));
    p.report('store', 'the store failed', new Error('ECONNREFUSED'));
    p.report('unpriced_model', 'model "gtp-4o" has no price');
    expect(lines).toEqual(['tollgate [store]: the store failed (Error: ECONNREFUSED)\n', 'tollgate [unpriced_model]: model "gtp-4o" has no price\n']);
    expect(p.counts().get('store')).toBe(2);
    expect(p.counts().get('unpriced_model')).toBe(1);
    expect(p.list().map((r) => [r.kind, r.count])).toEqual([
      ['store', 2],
      ['unpriced_model', 1],
    ]);
  });

  it('quiet: no stderr, still counted and still sent to OTel diag', () => {
    const lines: string[] = [];
    const warnings: string[] = [];
    diag.setLogger({ error: () => undefined, warn: (m: string) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
    const p = new Problems({ quiet: true, write: (l) => lines.push(l) });
    p.report('fetch_guard', 'fetch was replaced');
    expect(lines).toEqual([]);
    expect(p.counts().get('fetch_guard')).toBe(1);
    expect(warnings).toEqual(['tollgate: fetch was replaced']);
  });

  it('a storm of distinct problems prints at most linesPerMinute lines a minute, then says how many it held back', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const p = new Problems({ write: (l) => lines.push(l), clock: () => now, linesPerMinute: 3 });
    for (let i = 0; i < 10; i++) p.report('internal', `bug ${i}`);
    expect(lines).toHaveLength(3);
    now += 60_000;
    p.report('internal', 'bug after a minute');
    expect(lines).toHaveLength(5);
    expect(lines[3]).toContain('7 more problem(s)');
    expect(lines[4]).toContain('bug after a minute');
    expect(p.counts().get('internal')).toBe(11);
  });

  it('a listener sees every report, and a listener that throws never reaches the reporter', () => {
    const seen: string[] = [];
    const p = new Problems({ write: () => undefined });
    p.onReport((r) => seen.push(`${r.kind}:${r.count}`));
    p.onReport(() => {
      throw new Error('listener bug');
    });
    expect(() => p.report('telemetry', 'metrics failed')).not.toThrow();
    p.report('telemetry', 'metrics failed');
    expect(seen).toEqual(['telemetry:1', 'telemetry:2']);
  });
});
