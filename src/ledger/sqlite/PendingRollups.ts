import type { Statement } from 'better-sqlite3';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { utcDayKey, utcDayStart } from '../../time/utcWindows.js';

/** The daily rollup one group adds to one (day, provider, model, operation, status, task, session, agent). */
interface Rollup {
  /** day, day_start, provider, model, operation, status, task, session, agent. */
  dims: (string | number)[];
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costNanos: number;
}

/**
 * The daily rollups of one group's settlements, summed per rollup key in memory and added to
 * `daily_rollups` with one upsert per key when the group writes (`write`).
 */
export class PendingRollups {
  private readonly byKey = new Map<string, Rollup>();

  /** `upsert`: the columns of Rollup.dims, then calls, errors and the totals, added to the row. */
  constructor(private readonly upsert: Statement<(string | number)[]>) {}

  add(record: UsageRecord): void {
    const day = utcDayKey(record.time);
    const task = record.task ?? '';
    const session = record.session ?? '';
    const agent = record.agent ?? '';
    const key = `${day}\u0000${record.provider}\u0000${record.model}\u0000${record.operation}\u0000${record.status}\u0000${task}\u0000${session}\u0000${agent}`;
    let rollup = this.byKey.get(key);
    if (rollup === undefined) {
      rollup = {
        dims: [day, utcDayStart(record.time), record.provider, record.model, record.operation, record.status, task, session, agent],
        calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 0,
      };
      this.byKey.set(key, rollup);
    }
    rollup.calls += 1;
    if (record.status === 'error') rollup.errors += 1;
    rollup.inputTokens += record.inputTokens;
    rollup.outputTokens += record.outputTokens;
    rollup.cacheReadTokens += record.cacheReadTokens;
    rollup.cacheWriteTokens += record.cacheWriteTokens;
    rollup.reasoningTokens += record.reasoningTokens;
    rollup.costNanos += record.costNanos;
  }

  /** Adds every pending rollup to the file (in the group's transaction) and forgets them. */
  write(): void {
    for (const r of this.byKey.values()) {
      this.upsert.run(...r.dims, r.calls, r.errors, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.reasoningTokens, r.costNanos);
    }
    this.byKey.clear();
  }

  /** Forgets the pending rollups (their group did not commit). */
  clear(): void {
    this.byKey.clear();
  }
}
