import type { UsageGroup } from '../ledger/Ledger.js';
import { formatNanosUsd } from './formatNanosUsd.js';

/**
 * Usage groups as CSV for accounting (RFC 4180): a header row, one row per
 * group, CRLF line endings (also after the last row), fields quoted only when
 * they hold a comma, a double quote, CR or LF (quotes doubled).
 *
 * Columns: `<by>,calls,errors,input_tokens,output_tokens,cache_read_tokens,
 * cache_write_tokens,reasoning_tokens,cost_usd`. `cost_usd` is the exact
 * ledger amount with 9 decimals (nano-USD precision, e.g. `0.012345678`), so
 * sums in a spreadsheet match the ledger to the nano. Keys are written as
 * stored; records without the field have an empty key. No total row.
 */
export function renderCsv(groups: readonly UsageGroup[], by: string): string {
  const header = [
    by,
    'calls',
    'errors',
    'input_tokens',
    'output_tokens',
    'cache_read_tokens',
    'cache_write_tokens',
    'reasoning_tokens',
    'cost_usd',
  ];
  const rows = groups.map((g) => [
    g.key,
    String(g.calls),
    String(g.errors),
    String(g.inputTokens),
    String(g.outputTokens),
    String(g.cacheReadTokens),
    String(g.cacheWriteTokens),
    String(g.reasoningTokens),
    formatNanosUsd(g.costNanos, 9),
  ]);
  return [header, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
