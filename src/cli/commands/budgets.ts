import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { BudgetConfigError } from '../../core/BudgetConfigError.js';
import type { BudgetSpec } from '../../core/Budget.js';
import { normalizeBudget, WINDOW_SCOPES } from '../../budget/normalizeBudget.js';
import type { NormalizedBudget } from '../../budget/normalizeBudget.js';
import { displayUsd } from '../../report/displayUsd.js';
import { usdToNanos } from '../../core/money.js';
import { describeStore, openTollgate } from '../openTollgate.js';
import { printJson, printLine, printTable } from '../output.js';

/** A budget in `tollgate budgets list --json`: the normalised budget and where it is defined. */
export type BudgetListEntry = NormalizedBudget & {
  /** 'config': the config file or TOLLGATE_* env; 'store': added with `budgets add` / the HTTP API (wins over a config budget with the same id). */
  source: 'config' | 'store';
};

interface AddOptions {
  scope: string;
  maxUsd: string;
  onExceed?: string;
  fallbackModel?: string;
  window?: string;
  provider?: string;
  model?: string;
  key?: string;
  id?: string;
  thresholds?: string;
  where?: Record<string, string>;
  per?: string;
  json?: boolean;
}

/** `tollgate budgets list | add | remove`, against the configured store. */
export function registerBudgetsCommand(program: Command): void {
  const budgets = program.command('budgets').description('List, add and remove budgets (added budgets are stored in the configured store)');

  budgets
    .command('list', { isDefault: true })
    .description('Every budget: from the config and from the store (the default: `budgets` alone lists them)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await openTollgate(command, async (tollgate) => {
        const stored = new Set((await tollgate.ledger.listBudgets()).map((b) => b.id));
        const entries: BudgetListEntry[] = tollgate.budgets.list().map((b) => ({ ...b, source: stored.has(b.id) ? 'store' : 'config' }));
        if (opts.json === true) {
          printJson(entries);
          return;
        }
        if (entries.length === 0) {
          printLine(`No budgets (config or ${describeStore(tollgate.config.store)}). Add one: tollgate budgets add --scope daily --max-usd 20`);
          return;
        }
        printTable(
          ['Id', 'Scope', 'Limit', 'Action', 'Window', 'Applies to', 'Thresholds', 'Source'],
          entries.map((b) => [
            b.id,
            b.scope,
            displayUsd(usdToNanos(b.maxUsd)),
            b.onExceed === 'fallback' ? `fallback → ${b.fallbackModel ?? ''}` : b.onExceed,
            WINDOW_SCOPES.has(b.scope) ? b.window : '-',
            filtersOf(b),
            b.thresholds.map((t) => `${Math.round(t * 1000) / 10}%`).join(' '),
            b.source,
          ]),
          [2],
        );
      });
    });

  budgets
    .command('add')
    .description('Add (or replace, same id) a budget in the store; running services sharing the store pick it up within budgetRefreshMs (30 s)')
    .requiredOption('--scope <scope>', 'request, task, session, agent, daily, weekly, monthly or total')
    .requiredOption('--max-usd <usd>', 'limit in USD (> 0)')
    .option('--on-exceed <action>', 'deny, warn or fallback (default deny)')
    .option('--fallback-model <model>', 'model to re-route to (required with --on-exceed fallback)')
    .option('--window <window>', 'calendar (UTC day / ISO week / month) or rolling (24 h / 7 d / 30 d); daily, weekly and monthly only (default calendar)')
    .option('--provider <provider>', 'only count calls to this provider')
    .option('--model <model>', 'only count calls to this model')
    .option('--key <id>', 'only this task / session / agent id (default: every id, each its own counter)')
    .option('--where <field=value>', 'only calls with this attribution value (repeatable): user, team, apiKey, tag, metadata.<key>', collectWhere)
    .option('--per <field>', 'one counter per distinct user, team, apiKey or metadata.<key> value (daily, weekly, monthly, total)')
    .option('--id <id>', 'budget id (default from scope and filters, e.g. "daily", "task:model=gpt-4o")')
    .option('--thresholds <list>', 'fractions of the limit that raise a threshold event, e.g. 0.5,0.8,1 (default)')
    .option('--json', 'print JSON')
    .action(async (opts: AddOptions, command: Command) => {
      const spec = specOf(opts);
      await openTollgate(command, async (tollgate) => {
        let added: NormalizedBudget;
        try {
          added = await tollgate.budgets.add(spec);
        } catch (err: unknown) {
          if (err instanceof BudgetConfigError) command.error(`error: ${cliNames(err.message)}`, { exitCode: 2, code: 'tollgate.badBudget' });
          throw err;
        }
        if (opts.json === true) {
          printJson(added);
        } else {
          printLine(`Added budget "${added.id}" (${added.scope}, ${displayUsd(usdToNanos(added.maxUsd))}, ${added.onExceed}) to ${describeStore(tollgate.config.store)}.`);
          // A new budget starts at what its window already holds (one counter: say how much).
          const counter = (await tollgate.budgets.status()).find((s) => s.budget.id === added.id && s.key === 'global');
          if (counter !== undefined && counter.spentUsd > 0) printLine(`It counts ${displayUsd(usdToNanos(counter.spentUsd))} already spent in its current window.`);
        }
        process.stderr.write('note: running tollgate processes sharing this store pick it up within their budgetRefreshMs (default 30 s).\n');
      });
    });

  budgets
    .command('remove')
    .description('Remove a budget added to the store')
    .argument('<id>', 'budget id (see tollgate budgets list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      await openTollgate(command, async (tollgate) => {
        const store = describeStore(tollgate.config.store);
        const inStore = (await tollgate.ledger.listBudgets()).some((b) => b.id === id);
        const inConfig = configBudgetIds(tollgate.config.budgets).has(id);
        if (!inStore) {
          process.stderr.write(
            inConfig
              ? `tollgate: budget "${id}" is defined in the configuration (config file or TOLLGATE_* environment), not in ${store}; remove it there.\n`
              : `tollgate: no budget "${id}" in ${store} (see tollgate budgets list).\n`,
          );
          process.exitCode = 1;
          return;
        }
        await tollgate.ledger.deleteBudget(id);
        if (opts.json === true) {
          printJson({ removed: id, store, configBudgetApplies: inConfig });
          return;
        }
        printLine(`Removed budget "${id}" from ${store}.`);
        if (inConfig) printLine(`The configuration's budget "${id}" applies again.`);
      });
    });
}

/** The flags as a BudgetSpec; the engine validates it (so its messages name the field). */
function specOf(opts: AddOptions): BudgetSpec {
  const raw: Record<string, unknown> = { scope: opts.scope, maxUsd: numberOrText(opts.maxUsd) };
  if (opts.onExceed !== undefined) raw.onExceed = opts.onExceed;
  if (opts.fallbackModel !== undefined) raw.fallbackModel = opts.fallbackModel;
  if (opts.window !== undefined) raw.window = opts.window;
  if (opts.provider !== undefined) raw.provider = opts.provider;
  if (opts.model !== undefined) raw.model = opts.model;
  if (opts.key !== undefined) raw.key = opts.key;
  if (opts.id !== undefined) raw.id = opts.id;
  if (opts.where !== undefined) raw.where = opts.where;
  if (opts.per !== undefined) raw.per = opts.per;
  if (opts.thresholds !== undefined) raw.thresholds = opts.thresholds.split(',').map((t) => numberOrText(t.trim()));
  return raw as unknown as BudgetSpec;
}

/** `--where team=search` (repeatable) → `{ team: 'search' }`; the budget set checks the fields. */
function collectWhere(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`expected field=value, e.g. team=search; got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** "5" → 5; "five" stays "five" so the error message shows what was typed. */
function numberOrText(value: string): number | string {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value) ? Number(value) : value;
}

/** Engine field names → the flags that set them. */
function cliNames(message: string): string {
  return message
    .replace(/^tollgate: /, '')
    .replace(/\bbudget\.maxUsd\b/g, '--max-usd')
    .replace(/\bbudget\.onExceed\b/g, '--on-exceed')
    .replace(/\bbudget\.fallbackModel\b/g, '--fallback-model')
    .replace(/\bbudget\.thresholds\b/g, '--thresholds')
    .replace(/\bbudget\.(scope|window|provider|model|key|id|where|per)\b/g, '--$1')
    .replace(/onExceed is 'fallback'/g, '--on-exceed is fallback');
}

function configBudgetIds(specs: readonly BudgetSpec[]): Set<string> {
  const ids = new Set<string>();
  specs.forEach((spec, i) => ids.add(normalizeBudget(spec, `budgets[${i}]`).id));
  return ids;
}

function filtersOf(b: NormalizedBudget): string {
  const parts: string[] = [];
  if (b.provider !== undefined) parts.push(`provider=${b.provider}`);
  if (b.model !== undefined) parts.push(`model=${b.model}`);
  if (b.key !== undefined) parts.push(`${b.scope}=${b.key}`);
  return parts.length === 0 ? (b.scope === 'task' || b.scope === 'session' || b.scope === 'agent' ? `each ${b.scope}` : 'all calls') : parts.join(', ');
}
