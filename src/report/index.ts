export { formatCount } from './formatCount.js';
export { displayUsd } from './displayUsd.js';
export { formatNanosUsd } from './formatNanosUsd.js';
export { renderCsv } from './renderCsv.js';
export { renderJson, reportJson } from './renderJson.js';
export type { ReportJson, UsageGroupJson } from './renderJson.js';
export { renderMarkdown } from './renderMarkdown.js';
export { renderTable } from './renderTable.js';
export type { ReportBudget, ReportData, ReportEvents, ReportTotals } from './ReportData.js';
