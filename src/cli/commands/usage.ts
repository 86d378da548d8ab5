import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { registerBudgetsCommand } from './budgets.js';
import { registerEstimateCommand } from './estimate.js';
import { registerPricingCommand } from './pricing.js';
import type { BudgetStatus } from '../../budget/budgetStatus.js';
import { ID_SCOPES } from '../../budget/normalizeBudget.js';
import { USAGE_GROUP_BY, assertGroupBy } from '../../ledger/assertGroupBy.js';
import type { UsageGroupBy, UsageWhere } from '../../ledger/Ledger.js';
import { METADATA_KEY_PATTERN } from '../../core/attributionInput.js';
import { displayUsd } from '../../report/displayUsd.js';
import { groupTitle } from '../../report/groupColumns.js';
import { renderTable as renderUsageTable } from '../../report/renderTable.js';
import { usdToNanos } from '../../core/money.js';
import { parseTimeParam } from '../../server/parseTimeParam.js';
import { openTollgate } from '../openTollgate.js';
import type { CliTollgate } from '../openTollgate.js';
import { printJson, printLine, renderTable } from '../output.js';
import { sumUsage } from '../../ledger/UsageAccumulator.js';
import { usageGroupJson } from '../../report/renderJson.js';
import type { UsageGroupJson } from '../../report/renderJson.js';

/** The fields `--by` accepts. */
export const USAGE_GROUPS: readonly UsageGroupBy[] = USAGE_GROUP_BY;

/** Per-id budgets (task / session / agent) report at most this many of the most expensive ids. */
const STATUS_KEYS_PER_SCOPE = 20;

/** A time range from `--since` / `--until`, epoch ms (since inclusive, until exclusive). */
export interface TimeRange {
  since?: number;
  until?: number;
}

/** `--by` with its choices (an unknown value exits 2, naming the flag, with the ledger's message for it). */
export function byOption(defaultBy: UsageGroupBy = 'model'): Option {
  return new Option('--by <field>', `group by: ${USAGE_GROUPS.join(', ')} or metadata.<key> (day and month in UTC; a call with two tags counts under both)`)
    .default(defaultBy)
    .argParser((value: string): UsageGroupBy => {
      try {
        assertGroupBy(value);
      } catch (err: unknown) {
        throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
      }
      return value;
    });
}

/**
 * `--where field=value` (repeatable): equality filters on the fields `--by` takes (`tag=x`: calls
 * carrying tag x; `apiKey=` the key or its hash; `metadata.<key>=value`). A malformed one exits 2.
 */
export function whereOption(): Option {
  return new Option('--where <field=value>', 'only calls with this value (repeatable): provider, model, task, session, agent, operation, status, user, team, apiKey, tag, metadata.<key>')
    .argParser((value: string, previous: UsageWhere | undefined): UsageWhere => {
      const at = value.indexOf('=');
      const field = at < 0 ? value : value.slice(0, at);
      if (at < 1 || !(WHERE_FIELDS.has(field) || (field.startsWith('metadata.') && METADATA_KEY_PATTERN.test(field.slice(9))))) {
        throw new InvalidArgumentError(`expected field=value with field one of ${[...WHERE_FIELDS].join(', ')}, metadata.<key>; got "${value}"`);
      }
      return { ...previous, [field]: value.slice(at + 1) } as UsageWhere;
    });
}

const WHERE_FIELDS: ReadonlySet<string> = new Set(['provider', 'model', 'task', 'session', 'agent', 'operation', 'status', 'user', 'team', 'apiKey', 'tag']);

/**
 * Reads `--since` / `--until`: a duration meaning "that long ago" (30m, 24h, 7d, 2w),
 * an ISO date (2026-11-23, 2026-11-23T10:00:00Z) or epoch ms. A bad value exits 2
 * naming the flag.
 */
export function parseRange(command: Command, opts: { since?: string; until?: string }, now: number): TimeRange {
  const range: TimeRange = {};
  for (const flag of ['since', 'until'] as const) {
    const raw = opts[flag];
    if (raw === undefined) continue;
    const ms = parseTimeParam(raw, now);
    if (ms === undefined) {
      command.error(`error: --${flag}: expected a duration (30m, 24h, 7d), an ISO date (2026-11-23) or epoch ms; got "${raw}"`, {
        exitCode: 2,
        code: 'tollgate.badTime',
      });
    }
    range[flag] = ms;
  }
  if (range.since !== undefined && range.until !== undefined && range.since >= range.until) {
    command.error(`error: --since (${new Date(range.since).toISOString()}) must be before --until (${new Date(range.until).toISOString()})`, {
      exitCode: 2,
      code: 'tollgate.badTime',
    });
  }
  return range;
}

/**
 * Budget counters as `BudgetEngine.status()` reports them, plus, for per-id budgets
 * (task / session / agent, no fixed key) and per-value budgets (`per: 'user'`...), the
 * counters of the ids / values with the highest spend in `range` (up to 20 per scope or
 * dimension): a CLI process has seen no ids of its own.
 */
export async function budgetStatusWithKeys(tollgate: CliTollgate, range: TimeRange): Promise<BudgetStatus[]> {
  const out = await tollgate.budgets.status();
  const seen = new Set(out.map((s) => `${s.budget.id}\u0000${s.key}`));
  const scopes = new Set(
    tollgate.budgets
      .list()
      .filter((b) => ID_SCOPES.has(b.scope) && b.key === undefined)
      .map((b) => b.scope as 'task' | 'session' | 'agent'),
  );
  for (const scope of scopes) {
    const groups = (await tollgate.ledger.usage({ by: scope, ...range }))
      .filter((g) => g.key !== '')
      .sort((a, b) => b.costNanos - a.costNanos || a.key.localeCompare(b.key))
      .slice(0, STATUS_KEYS_PER_SCOPE)
      .sort((a, b) => a.key.localeCompare(b.key));
    for (const g of groups) {
      for (const s of await tollgate.budgets.status({ [scope]: g.key })) {
        const id = `${s.budget.id}\u0000${s.key}`;
        if (s.budget.scope !== scope || seen.has(id)) continue;
        seen.add(id);
        out.push(s);
      }
    }
  }
  // Per-value budgets (per: 'user'...): the counters of the values with the highest spend in `range`.
  for (const per of new Set(tollgate.budgets.list().flatMap((b) => (b.per === undefined ? [] : [b.per])))) {
    const groups = (await tollgate.ledger.usage({ by: per, ...range }))
      .filter((g) => g.key !== '')
      .slice(0, STATUS_KEYS_PER_SCOPE)
      .sort((a, b) => a.key.localeCompare(b.key));
    for (const g of groups) {
      for (const s of await tollgate.budgets.status({ values: { [per]: g.key } })) {
        const id = `${s.budget.id}\u0000${s.key}`;
        if (s.budget.per !== per || seen.has(id)) continue;
        seen.add(id);
        out.push(s);
      }
    }
  }
  return out;
}

/** A budget counter in `--json` output. */
export interface BudgetStatusJson {
  id: string;
  scope: string;
  key: string;
  action: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  remainingUsd: number;
  /** Calendar windows: start and end (epoch ms); absent for task / session / agent / total budgets. */
  windowStart?: number;
  windowEnd?: number;
}

export function budgetStatusJson(s: BudgetStatus): BudgetStatusJson {
  const json: BudgetStatusJson = {
    id: s.budget.id,
    scope: s.budget.scope,
    key: s.key,
    action: s.budget.onExceed,
    spentUsd: s.spentUsd,
    reservedUsd: s.reservedUsd,
    limitUsd: s.limitUsd,
    remainingUsd: s.remainingUsd,
  };
  if (s.windowStart !== undefined) json.windowStart = s.windowStart;
  if (s.windowEnd !== undefined) json.windowEnd = s.windowEnd;
  return json;
}

/** Budget counters as a terminal table. */
export function renderBudgetStatus(statuses: readonly BudgetStatus[]): string {
  return renderTable(
    ['Budget', 'Scope', 'Key', 'Spent', 'Reserved', 'Limit', 'Remaining', 'Action'],
    statuses.map((s) => [
      s.budget.id,
      s.budget.scope,
      s.key,
      displayUsd(usdToNanos(s.spentUsd)),
      displayUsd(usdToNanos(s.reservedUsd)),
      displayUsd(usdToNanos(s.limitUsd)),
      displayUsd(usdToNanos(s.remainingUsd)),
      s.budget.onExceed,
    ]),
    [3, 4, 5, 6],
  );
}

/** What `tollgate usage show --json` prints. */
export interface UsageShowJson {
  by: UsageGroupBy;
  /** The `--where` filters, when given. */
  where?: UsageWhere;
  /** Epoch ms, inclusive; null: from the first record. */
  since: number | null;
  /** Epoch ms, exclusive; null: up to now. */
  until: number | null;
  groups: UsageGroupJson[];
  total: Omit<UsageGroupJson, 'key'>;
  budgets: BudgetStatusJson[];
}

interface UsageShowOptions {
  since?: string;
  until?: string;
  by: UsageGroupBy;
  where?: UsageWhere;
  json?: boolean;
}

/** `tollgate usage [show] [--since 24h] [--until t] [--by field] [--json]` (`show` is the default). */
export function registerUsageCommand(program: Command): void {
  const usage = program.command('usage').description('Spend, tokens and calls recorded in the configured store (usage show)');
  usage
    .command('show', { isDefault: true })
    .description('Spend, tokens and calls per group, and the remaining budgets')
    .option('--since <time>', 'from: a duration ago (30m, 24h, 7d), an ISO date or epoch ms; 0 = from the first record', '24h')
    .option('--until <time>', 'to (exclusive): same forms; default now')
    .addOption(byOption())
    .addOption(whereOption())
    .option('--json', 'print JSON')
    .action(async (opts: UsageShowOptions, command: Command) => {
      const range = parseRange(command, opts, Date.now());
      await openTollgate(command, async (tollgate) => {
        const groups = await tollgate.ledger.usage({ by: opts.by, ...range, ...(opts.where !== undefined ? { where: opts.where } : {}) });
        const statuses = await budgetStatusWithKeys(tollgate, range);
        if (opts.json === true) {
          const total = sumUsage(groups);
          const result: UsageShowJson = {
            by: opts.by,
            ...(opts.where !== undefined ? { where: opts.where } : {}),
            since: range.since ?? null,
            until: range.until ?? null,
            groups: groups.map(usageGroupJson),
            total: usageGroupJson(total),
            budgets: statuses.map(budgetStatusJson),
          };
          printJson(result);
          return;
        }
        printLine(`Usage by ${groupTitle(opts.by).toLowerCase()}, ${describeRange(range)}`);
        printLine(renderUsageTable(groups, opts.by));
        printLine();
        if (statuses.length === 0) {
          printLine('No budgets configured.');
        } else {
          printLine('Budgets');
          printLine(renderBudgetStatus(statuses));
        }
      });
    });
  // Seed 000's spellings: `usage pricing`, `usage budgets [list]` and `usage estimate` are the top-level commands.
  registerPricingCommand(usage);
  registerBudgetsCommand(usage);
  registerEstimateCommand(usage);
}

/** "since 2026-11-23 10:00:00 UTC", "all recorded usage"... */
export function describeRange(range: TimeRange): string {
  const t = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  if (range.since !== undefined && range.until !== undefined) return `from ${t(range.since)} to ${t(range.until)}`;
  if (range.since !== undefined) return `since ${t(range.since)}`;
  if (range.until !== undefined) return `until ${t(range.until)}`;
  return 'all recorded usage';
}
