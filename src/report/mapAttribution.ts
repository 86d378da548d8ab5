import type { UsageGroup } from '../ledger/Ledger.js';
import type { ReportAttribution } from './ReportData.js';

/** The attribution breakdowns of a report with each group mapped (to its JSON form). */
export function mapAttribution<T>(attribution: ReportAttribution, map: (group: UsageGroup) => T): Record<keyof ReportAttribution, T[]> {
  return {
    users: attribution.users.map(map),
    teams: attribution.teams.map(map),
    apiKeys: attribution.apiKeys.map(map),
    tags: attribution.tags.map(map),
  };
}
