import type { UsageGroup } from '../ledger/Ledger.js';
import { formatNanosUsd } from './formatNanosUsd.js';
import type { ReportAttribution, ReportData } from './ReportData.js';
import { mapAttribution } from './mapAttribution.js';

/** A usage group in JSON output: the exact integer `costNanos`, plus `costUsd` as an exact 9-decimal string. */
export type UsageGroupJson = UsageGroup & { costUsd: string };

/** The JSON shape of a report: `ReportData` with every group carrying `costUsd`. */
export type ReportJson = Omit<ReportData, 'byProvider' | 'byModel' | 'topTasks' | 'attribution'> & {
  byProvider: UsageGroupJson[];
  byModel: UsageGroupJson[];
  topTasks: UsageGroupJson[];
  attribution?: Record<keyof ReportAttribution, UsageGroupJson[]>;
};

/**
 * The report as a plain object ready for `JSON.stringify` (what `--json` prints
 * and tests compare). Group money stays exact: integer `costNanos` and a
 * decimal-string `costUsd` such as "0.012345678" (a string, so no float
 * rounding on either side). Times stay epoch ms; other amounts are USD numbers.
 */
export function reportJson(data: ReportData): ReportJson {
  const { attribution, ...rest } = data;
  return {
    ...rest,
    byProvider: data.byProvider.map(groupJson),
    byModel: data.byModel.map(groupJson),
    topTasks: data.topTasks.map(groupJson),
    ...(attribution !== undefined ? { attribution: mapAttribution(attribution, groupJson) } : {}),
  };
}

/** `reportJson(data)` as JSON text, indented by two spaces, with a final newline. */
export function renderJson(data: ReportData): string {
  return `${JSON.stringify(reportJson(data), null, 2)}\n`;
}

function groupJson(group: UsageGroup): UsageGroupJson {
  return { ...group, costUsd: formatNanosUsd(group.costNanos, 9) };
}
