import { nanosToUsd } from '../core/money.js';
import type { UsageGroup } from '../ledger/Ledger.js';
import type { ReportAttribution, ReportData } from '../report/ReportData.js';
import { mapAttribution } from '../report/mapAttribution.js';

/**
 * A usage group in the CLI's `--json` output. Money in every `--json` output is a USD
 * number (`costUsd`, `spentUsd`, `limitUsd`...); the exact amount is the integer
 * `costNanos` (nano-USD) beside it.
 */
export type UsageGroupJson = UsageGroup & { costUsd: number };

/** `group` with `costUsd`, its cost as a USD number. */
export function usageGroupJson<G extends Omit<UsageGroup, 'key'>>(group: G): G & { costUsd: number } {
  return { ...group, costUsd: nanosToUsd(group.costNanos) };
}

/** What `tollgate report --format json` and `tollgate demo --json` print as the report. */
export type ReportDataJson = Omit<ReportData, 'byProvider' | 'byModel' | 'topTasks' | 'attribution'> & {
  byProvider: UsageGroupJson[];
  byModel: UsageGroupJson[];
  topTasks: UsageGroupJson[];
  attribution?: Record<keyof ReportAttribution, UsageGroupJson[]>;
};

/** The report with every usage group carrying `costUsd` (the other amounts are USD numbers already). */
export function reportDataJson(data: ReportData): ReportDataJson {
  const { attribution, ...rest } = data;
  return {
    ...rest,
    byProvider: data.byProvider.map(usageGroupJson),
    byModel: data.byModel.map(usageGroupJson),
    topTasks: data.topTasks.map(usageGroupJson),
    ...(attribution !== undefined ? { attribution: mapAttribution(attribution, usageGroupJson) } : {}),
  };
}
