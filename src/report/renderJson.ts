import type { UsageGroup } from '../ledger/Ledger.js';
import { formatNanosUsd } from './formatNanosUsd.js';
import type { ReportData, ReportTask } from './ReportData.js';

/** A usage group in JSON output: the exact integer `costNanos`, plus `costUsd` as an exact 9-decimal string. */
export type UsageGroupJson = UsageGroup & { costUsd: string };

/** A task of the report in JSON output (model calls, then tools, memory and contract checks apart). */
export type ReportTaskJson = ReportTask & { costUsd: string };

/** The JSON shape of a report: `ReportData` with every group carrying `costUsd`. */
export type ReportJson = Omit<ReportData, 'byProvider' | 'byModel' | 'topTasks'> & {
  byProvider: UsageGroupJson[];
  byModel: UsageGroupJson[];
  topTasks: ReportTaskJson[];
};

/**
 * The report as a plain object ready for `JSON.stringify` (what `--json` prints
 * and tests compare). Group money stays exact: integer `costNanos` and a
 * decimal-string `costUsd` such as "0.012345678" (a string, so no float
 * rounding on either side). Times stay epoch ms; other amounts are USD numbers.
 */
export function reportJson(data: ReportData): ReportJson {
  return {
    ...data,
    byProvider: data.byProvider.map(groupJson),
    byModel: data.byModel.map(groupJson),
    topTasks: data.topTasks.map((t) => ({ ...t, costUsd: formatNanosUsd(t.costNanos, 9) })),
  };
}

/** `reportJson(data)` as JSON text, indented by two spaces, with a final newline. */
export function renderJson(data: ReportData): string {
  return `${JSON.stringify(reportJson(data), null, 2)}\n`;
}

function groupJson(group: UsageGroup): UsageGroupJson {
  return { ...group, costUsd: formatNanosUsd(group.costNanos, 9) };
}
