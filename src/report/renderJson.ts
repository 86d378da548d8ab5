import { nanosToUsd } from '../core/money.js';
import type { UsageGroup } from '../ledger/Ledger.js';
import type { ReportAttribution, ReportData, ReportTask } from './ReportData.js';
import { mapAttribution } from './mapAttribution.js';

/** A usage group in JSON output: the exact integer `costNanos` (nano-USD), plus `costUsd`, the same amount as a USD number. */
export type UsageGroupJson = UsageGroup & { costUsd: number };

/** A task of the report in JSON output (model calls, then tools, memory and contract checks apart). */
export type ReportTaskJson = ReportTask & { costUsd: number };

/** The JSON shape of a report: `ReportData` with every group carrying `costUsd`. */
export type ReportJson = Omit<ReportData, 'byProvider' | 'byModel' | 'topTasks' | 'attribution'> & {
  byProvider: UsageGroupJson[];
  byModel: UsageGroupJson[];
  topTasks: ReportTaskJson[];
  attribution?: Record<keyof ReportAttribution, UsageGroupJson[]>;
};

/**
 * The report as a plain object ready for `JSON.stringify` (what `tollgate report --format json`
 * prints and tests compare). Money is a USD number everywhere, as in every other JSON output of
 * tollgate (`costUsd` on each group, `session.costUsd`, ...); the exact amount of a group is its
 * integer `costNanos` beside it. Times stay epoch ms.
 */
export function reportJson(data: ReportData): ReportJson {
  const { attribution, ...rest } = data;
  return {
    ...rest,
    byProvider: data.byProvider.map(usageGroupJson),
    byModel: data.byModel.map(usageGroupJson),
    topTasks: data.topTasks.map((t) => ({ ...t, costUsd: nanosToUsd(t.costNanos) })),
    ...(attribution !== undefined ? { attribution: mapAttribution(attribution, usageGroupJson) } : {}),
  };
}

/** `reportJson(data)` as JSON text, indented by two spaces, with a final newline. */
export function renderJson(data: ReportData): string {
  return `${JSON.stringify(reportJson(data), null, 2)}\n`;
}

/** `group` with `costUsd`, its cost as a USD number. */
export function usageGroupJson<G extends Omit<UsageGroup, 'key'>>(group: G): G & { costUsd: number } {
  return { ...group, costUsd: nanosToUsd(group.costNanos) };
}
