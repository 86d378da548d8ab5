/**
 * Money in every `--json` output is a USD number (`costUsd`, `spentUsd`, `limitUsd`...); the
 * exact amount is the integer `costNanos` (nano-USD) beside it. The library's `reportJson`
 * (what `renderJson` prints) has the same shape, so the CLI prints it as it is.
 */
export { reportJson as reportDataJson, usageGroupJson } from '../report/renderJson.js';
export type { ReportJson as ReportDataJson, UsageGroupJson } from '../report/renderJson.js';
