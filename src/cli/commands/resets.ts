import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { BudgetResetResult } from '../../budget/BudgetResets.js';
import { describeStore, openTollgate } from '../openTollgate.js';
import { printJson, printLine, printTable } from '../output.js';

interface ResetOptions {
  actor?: string;
  json?: boolean;
}

/** Who ran the command, for the reset log: `cli:<user>` (or `cli` when the user is unknown). */
function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function printReset(result: BudgetResetResult, store: string, json: boolean | undefined): void {
  if (json === true) {
    printJson({ ...result, store });
    return;
  }
  const what = result.target === 'all' ? 'every budget counter' : `the budget counters of ${result.target.replace(/^session:/, 'session "')}"`;
  const budgets = result.budgetIds.length === 0 ? 'no budget applies' : `budgets: ${result.budgetIds.join(', ')}`;
  printLine(`Reset ${what} in ${store} (${budgets}) as ${result.actor} at ${new Date(result.time).toISOString()}; usage and records are kept.`);
}

/**
 * `tollgate sessions reset <id>`, `tollgate reset --all --yes` and `tollgate resets`: budget counters
 * start again from zero in the configured store (every process sharing it counts from zero at its
 * next call); usage, records and reports keep the history; each reset is logged (actor, time).
 */
export function registerResetCommands(program: Command): void {
  const sessions = program.command('sessions').description('Budget counters of sessions');
  sessions
    .command('reset')
    .description("Set a session's budget counters to zero (usage and records are kept; the reset is logged)")
    .argument('<id>', 'session id')
    .option('--actor <name>', 'who asks, for the reset log (default cli:<user>)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: ResetOptions, command: Command) => {
      if (id.trim() === '') command.error('error: <id>: the session id must not be empty', { exitCode: 2, code: 'tollgate.badSession' });
      await openTollgate(command, async (tollgate) => {
        const result = await tollgate.budgets.resets.session(id, opts.actor ?? defaultActor());
        printReset(result, describeStore(tollgate.config.store), opts.json);
      });
    });

  program
    .command('reset')
    .description('Set every budget counter to zero (usage and records are kept; the reset is logged). Needs --all --yes')
    .option('--all', 'every budget counter of every budget, key and window')
    .option('--yes', 'confirm')
    .option('--actor <name>', 'who asks, for the reset log (default cli:<user>)')
    .option('--json', 'print JSON')
    .action(async (opts: ResetOptions & { all?: boolean; yes?: boolean }, command: Command) => {
      if (opts.all !== true) command.error('error: say what to reset: --all (every budget counter), or tollgate sessions reset <id>', { exitCode: 2, code: 'tollgate.resetWhat' });
      if (opts.yes !== true) command.error('error: reset --all sets every budget counter to zero; add --yes to confirm', { exitCode: 2, code: 'tollgate.resetConfirm' });
      await openTollgate(command, async (tollgate) => {
        const result = await tollgate.budgets.resets.all(opts.actor ?? defaultActor());
        printReset(result, describeStore(tollgate.config.store), opts.json);
      });
    });

  program
    .command('resets')
    .description('The reset log of the store, newest first')
    .option('--limit <n>', 'how many (default 100)')
    .option('--json', 'print JSON')
    .action(async (opts: { limit?: string; json?: boolean }, command: Command) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        command.error(`error: --limit: expected a whole number >= 1, got "${opts.limit}"`, { exitCode: 2, code: 'tollgate.badLimit' });
      }
      await openTollgate(command, async (tollgate) => {
        const resets = await tollgate.budgets.resets.list(limit);
        if (opts.json === true) {
          printJson(resets);
          return;
        }
        if (resets.length === 0) {
          printLine(`No resets in ${describeStore(tollgate.config.store)}.`);
          return;
        }
        printTable(['Time (UTC)', 'Reset', 'Actor'], resets.map((r) => [new Date(r.time).toISOString(), r.target, r.actor]));
      });
    });
}
