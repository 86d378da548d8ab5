import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { UsageGroupBy } from '../../ledger/Ledger.js';
import { RateLimiter } from '../../ratelimit/RateLimiter.js';
import type { RateLimiterOptions } from '../../ratelimit/RateLimiter.js';
import type { RateLimitStatus } from '../../ratelimit/RateLimitStatus.js';
import { buildReportData } from '../../report/buildReportData.js';
import { renderCsv } from '../../report/renderCsv.js';
import { renderMarkdown } from '../../report/renderMarkdown.js';
import { openTollgate } from '../openTollgate.js';
import { reportJson } from '../../report/renderJson.js';
import { budgetStatusWithKeys, byOption, parseRange } from './usage.js';

interface ReportOptions {
  format: 'md' | 'csv' | 'json';
  since?: string;
  until?: string;
  by: UsageGroupBy;
  top: number;
  session?: string;
  out?: string;
  json?: boolean;
}

/** Parses `--top`: a whole number >= 1. */
function parseTop(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number >= 1, got "${value}".`);
  return n;
}

/**
 * `tollgate report [--format md|csv|json] [--since t] [--until t] [--by field] [--top n] [--session id] [--out file]`.
 * md: the spend report (session, last 24 h, per provider, per model, top tasks, budgets,
 * rate limits, budget events); json: the same data; csv: usage grouped by `--by`
 * (default model) with exact 9-decimal costs, for accounting.
 */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Spend report from the configured store: markdown, JSON, or CSV (one row per --by group) for accounting')
    .addOption(new Option('--format <format>', 'md, csv or json').choices(['md', 'csv', 'json']).default('md'))
    .option('--since <time>', 'from: a duration ago (30m, 24h, 7d), an ISO date or epoch ms (default: the first record)')
    .option('--until <time>', 'to (exclusive): same forms (default: now)')
    .addOption(byOption('model'))
    .option('--top <n>', 'tasks listed in "Top tasks"', parseTop, 10)
    .option('--session <id>', 'report this session\'s spend in "Session spend"')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--json', 'same as --format json')
    .action(async (opts: ReportOptions, command: Command) => {
      const now = Date.now();
      const range = parseRange(command, opts, now);
      const text = await openTollgate(command, async (tollgate) => {
        const format = opts.json === true ? 'json' : opts.format;
        if (format === 'csv') return renderCsv(await tollgate.ledger.usage({ by: opts.by, ...range }), opts.by);
        const data = await buildReportData({
          ledger: tollgate.ledger,
          budgetStatus: () => budgetStatusWithKeys(tollgate, range),
          now,
          ...range,
          topTasks: opts.top,
          rateLimits: configuredRateLimits(tollgate.config.rateLimits),
          ...(opts.session !== undefined ? { sessionId: opts.session } : {}),
        });
        return format === 'json' ? `${JSON.stringify(reportJson(data), null, 2)}\n` : renderMarkdown(data);
      });
      if (text === undefined) return;
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const path = resolve(opts.out);
      writeFileSync(path, text);
      process.stderr.write(`wrote ${path}\n`);
    });
}

/**
 * The configured limits. Use is per process (the limiter lives in the process making
 * the calls), so a CLI shows the limits with no use; a running server's /v1/status has the live state.
 */
function configuredRateLimits(limits: RateLimiterOptions['limits']): RateLimitStatus[] {
  if (Object.keys(limits).length === 0) return [];
  const limiter = new RateLimiter({ limits });
  const status = limiter.status();
  void limiter.shutdown();
  return status;
}
