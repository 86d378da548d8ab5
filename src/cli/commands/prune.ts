import type { Command } from 'commander';
import { describeStore, openTollgate } from '../openTollgate.js';
import { printJson, printLine } from '../output.js';

const DAY_MS = 86_400_000;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/** What `tollgate prune --json` prints. */
export interface PruneResult {
  /** Records deleted. */
  deleted: number;
  /** Epoch ms: records that ended before this were deleted. */
  before: number;
  /** The store, password hidden. */
  store: string;
}

/** `30d`, `12h`, `2w`, `90m` → ms; undefined when the text is none of these. */
function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m|h|d|w)$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN));
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * `tollgate prune [--older-than 30d] [--json]`: deletes usage records older than the
 * retention (default: config `retentionDays`, 30). Per-day rollups are kept, so daily,
 * monthly and total spend and every budget counter read the same after pruning.
 */
export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('Delete usage records older than the retention (per-day totals and budget counters are kept)')
    .option('--older-than <age>', 'e.g. 30d, 12h, 2w (default: config retentionDays, 30 days)')
    .option('--json', 'print JSON')
    .action(async (opts: { olderThan?: string; json?: boolean }, command: Command) => {
      let age: number | undefined;
      if (opts.olderThan !== undefined) {
        age = parseAge(opts.olderThan);
        if (age === undefined) {
          command.error(`error: --older-than: expected an age such as 30d, 12h, 2w or 90m, got "${opts.olderThan}"`, { exitCode: 2, code: 'tollgate.badAge' });
        }
      }
      await openTollgate(command, async (tollgate) => {
        const before = Date.now() - (age ?? tollgate.config.retentionDays * DAY_MS);
        const deleted = await tollgate.ledger.prune(before);
        const result: PruneResult = { deleted, before, store: describeStore(tollgate.config.store) };
        if (opts.json === true) {
          printJson(result);
          return;
        }
        printLine(
          `Pruned ${deleted} ${deleted === 1 ? 'record' : 'records'} older than ${new Date(before).toISOString()} from ${result.store} (per-day totals kept).`,
        );
      });
    });
}
