import { describe, expect, it } from 'vitest';
import type { UsageGroup } from '../../src/ledger/Ledger.js';
import { renderCsv } from '../../src/report/renderCsv.js';
import { byModel } from './reportData.fixture.js';

const row = (key: string, costNanos: number): UsageGroup => ({
  key,
  calls: 1,
  errors: 0,
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costNanos,
});

describe('renderCsv', () => {
  it('writes a header and one row per group, CRLF-terminated, cost exact to the nano', () => {
    expect(renderCsv(byModel, 'model').split('\r\n')).toEqual([
      'model,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd',
      'gpt-4o,6,1,12000,3000,2000,0,0,0.060000000',
      'claude-sonnet-4-5,3,0,4500,1500,0,500,0,0.036000000',
      'gpt-4o-mini,4,0,2000,800,0,0,0,0.000780000',
      'text-embedding-3-small,2,0,1000,0,0,0,0,0.000020000',
      'o3-mini,1,0,100,2000,0,0,1500,0.008910123',
      '',
    ]);
  });

  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    const csv = renderCsv(
      [row('plain', 1), row('a,b', 12_345_678_901), row('say "hi"', 0), row('two\nlines', 0), row('', 0)],
      'task',
    );
    expect(csv).toBe(
      'task,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd\r\n' +
        'plain,1,0,10,5,0,0,0,0.000000001\r\n' +
        '"a,b",1,0,10,5,0,0,0,12.345678901\r\n' +
        '"say ""hi""",1,0,10,5,0,0,0,0.000000000\r\n' +
        '"two\nlines",1,0,10,5,0,0,0,0.000000000\r\n' +
        ',1,0,10,5,0,0,0,0.000000000\r\n',
    );
  });

  it('writes only the header for no groups', () => {
    expect(renderCsv([], 'day')).toBe(
      'day,calls,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd\r\n',
    );
  });
});
