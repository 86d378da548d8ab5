import Table from 'cli-table3';
import type { UsageGroup } from '../ledger/Ledger.js';
import { groupCells, groupLabel, groupTitle } from './groupColumns.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';

/**
 * Usage groups as a terminal table (cli-table3, no colours, so the output is
 * the same on every terminal and in tests): one row per group and a total row
 * when there are several. Money shows as `$` with 4 decimals, summed in
 * integer nanos. No trailing newline.
 */
export function renderTable(groups: readonly UsageGroup[], by: string): string {
  const table = new Table({
    head: [groupTitle(by), 'Calls', 'Errors', 'Input tokens', 'Output tokens', 'Cost (USD)'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    // No colours; `compact`: a rule under the header only, none between rows.
    style: { head: [], border: [], compact: true },
  });
  if (groups.length === 0) {
    table.push([{ colSpan: 6, content: 'no usage' }]);
    return table.toString();
  }
  for (const g of groups) table.push(groupCells(groupLabel(g.key), g));
  if (groups.length > 1) table.push(groupCells('Total', sumUsage(groups)));
  return table.toString();
}
