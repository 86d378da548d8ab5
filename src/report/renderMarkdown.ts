import type { UsageGroup } from '../ledger/Ledger.js';
import { usdToNanos } from '../core/money.js';
import type { RateLimitUse } from '../ratelimit/RateLimitStatus.js';
import { formatCount } from './formatCount.js';
import { displayUsd } from './displayUsd.js';
import { groupCells, groupLabel } from './groupColumns.js';
import type { ReportAttribution, ReportBudget, ReportData, ReportEvents, ReportTask } from './ReportData.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';

/**
 * The spend report as GitHub-flavoured markdown: session spend, last 24 h, per
 * provider, per model, top tasks, budgets, rate-limit status and budget events,
 * each under its own `##` heading (always present, with a note when empty).
 * Money shows as `$` with 4 decimals, rounded from exact nanos; group totals are
 * summed in integer nanos. A pure function: no I/O, no clock.
 */
export function renderMarkdown(data: ReportData): string {
  const lines: string[] = [
    '# tollgate spend report',
    '',
    `Generated ${formatTime(data.generatedAt)} · ${formatRange(data.since, data.until)}`,
    '',
    '## Session spend',
    '',
    data.session
      ? `${data.session.id !== undefined ? `Session \`${inline(data.session.id)}\`` : 'This session'}: ` +
        `${usd(data.session.costUsd)} over ${formatCount(data.session.calls)} ${data.session.calls === 1 ? 'call' : 'calls'}.`
      : '_No session in this report._',
    '',
    '## Last 24 h',
    '',
    ...table(
      ['Cost', 'Calls', 'Input tokens', 'Output tokens'],
      ['right', 'right', 'right', 'right'],
      [
        [
          usd(data.last24h.costUsd),
          formatCount(data.last24h.calls),
          formatCount(data.last24h.inputTokens),
          formatCount(data.last24h.outputTokens),
        ],
      ],
    ),
    '',
    '## Per provider',
    '',
    ...groupSection('Provider', data.byProvider, true),
    '',
    '## Per model',
    '',
    ...groupSection('Model', data.byModel, true),
    '',
    '## Top tasks',
    '',
    ...taskSection(data.topTasks),
    '',
    ...attributionSection(data.attribution),
    '## Budgets',
    '',
    ...(data.budgets.length === 0
      ? ['_No budgets configured._']
      : table(
          ['Budget', 'Scope', 'Filter', 'Key', 'Spent', 'Limit', 'Remaining', 'Used', 'Action'],
          ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'],
          data.budgets.map((b) => [
            b.id,
            b.scope,
            filterOf(b),
            b.key,
            usd(b.spentUsd),
            usd(b.limitUsd),
            usd(b.remainingUsd),
            percent(b.spentUsd, b.limitUsd),
            b.action,
          ]),
        )),
    '',
    '## Rate limits',
    '',
    ...(data.rateLimits.length === 0
      ? ['_No rate limits configured._']
      : table(
          ['Provider', 'Requests / min', 'Tokens / min', 'Waiting', 'Window frees at'],
          ['left', 'right', 'right', 'right', 'left'],
          data.rateLimits.map((r) => [
            r.provider,
            useOf(r.rpm),
            useOf(r.tpm),
            formatCount(r.waiting),
            r.resetAt === null ? '—' : formatTime(r.resetAt),
          ]),
        )),
    '',
    '## Events',
    '',
    ...eventsSection(data.events),
  ];
  return `${lines.join('\n')}\n`;
}

type Align = 'left' | 'right';

function table(head: string[], align: Align[], rows: string[][]): string[] {
  const row = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [row(head), `| ${align.map((a) => (a === 'right' ? '---:' : '---')).join(' | ')} |`, ...rows.map(row)];
}

function groupSection(title: string, groups: readonly UsageGroup[], withTotal: boolean): string[] {
  if (groups.length === 0) return ['_No usage._'];
  const rows = groups.map((g) => groupCells(groupLabel(g.key), g));
  if (withTotal && groups.length > 1) rows.push(groupCells('Total', sumUsage(groups)).map((c) => `**${c}**`));
  return table(
    [title, 'Calls', 'Errors', 'Input tokens', 'Output tokens', 'Cost'],
    ['left', 'right', 'right', 'right', 'right', 'right'],
    rows,
  );
}

/** Tasks: model calls, then tools, memory operations and contract checks counted apart. */
function taskSection(tasks: readonly ReportTask[]): string[] {
  if (tasks.length === 0) return ['_No usage._'];
  return table(
    ['Task', 'Model calls', 'Tool calls', 'Memory ops', 'Contract checks', 'Errors', 'Input tokens', 'Output tokens', 'Cost'],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    tasks.map((t) => {
      const [label, calls, errors, input, output, cost] = groupCells(groupLabel(t.key), t) as [string, string, string, string, string, string];
      return [label, calls, formatCount(t.toolCalls), formatCount(t.memoryOps), formatCount(t.contractChecks), errors, input, output, cost];
    }),
  );
}

/** "openai / gpt-4o", "openai", "model gpt-4o", or "all calls". */
function filterOf(b: ReportBudget): string {
  if (b.provider !== undefined && b.model !== undefined) return `${b.provider} / ${b.model}`;
  if (b.provider !== undefined) return b.provider;
  if (b.model !== undefined) return `model ${b.model}`;
  return 'all calls';
}

/** `## Per user, team, API key and tag` when any call carries one of them (else nothing). */
function attributionSection(attribution: ReportAttribution | undefined): string[] {
  if (attribution === undefined) return [];
  const lines = ['## Per user, team, API key and tag', ''];
  const parts: [string, UsageGroup[]][] = [
    ['User', attribution.users],
    ['Team', attribution.teams],
    ['API key (hash)', attribution.apiKeys],
    ['Tag', attribution.tags],
  ];
  for (const [title, groups] of parts) if (groups.length > 0) lines.push(...groupSection(title, groups, false), '');
  return lines;
}

function eventsSection(events: ReportEvents | undefined): string[] {
  if (events === undefined) return ['_No events recorded._'];
  return table(
    ['Warned', 'Fallbacks', 'Denied'],
    ['right', 'right', 'right'],
    [[formatCount(events.warned), formatCount(events.fallbacks), formatCount(events.denied)]],
  );
}

/** Float USD → "$1.2345", rounded through exact nanos. */
function usd(value: number): string {
  return displayUsd(usdToNanos(value));
}

/** Spent as a share of the limit: "80%", "99.6%". */
function percent(spentUsd: number, limitUsd: number): string {
  if (limitUsd <= 0) return '—';
  const tenths = Math.round((usdToNanos(spentUsd) * 1000) / usdToNanos(limitUsd));
  return `${tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1)}%`;
}

function useOf(use: RateLimitUse): string {
  return `${formatCount(use.used)} / ${use.limit === null ? 'no limit' : formatCount(use.limit)}`;
}

/** "2026-11-23 12:00:00 UTC" */
function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function formatRange(since: number | undefined, until: number | undefined): string {
  if (since !== undefined && until !== undefined) return `from ${formatTime(since)} to ${formatTime(until)}`;
  if (since !== undefined) return `since ${formatTime(since)}`;
  if (until !== undefined) return `until ${formatTime(until)}`;
  return 'all recorded usage';
}

/** A table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, ' ');
}

/** Text inside `code`: backticks cannot be escaped there, so they become quotes. */
function inline(text: string): string {
  return text.replace(/`/g, "'").replace(/\r\n|\r|\n/g, ' ');
}
