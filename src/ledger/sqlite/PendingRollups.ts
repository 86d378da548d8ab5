import type { Statement } from 'better-sqlite3';
import type { UsageRecord } from '../../core/UsageRecord.js';
import { utcDayKey, utcDayStart } from '../../time/utcWindows.js';
import { addTotals } from '../UsageAccumulator.js';
import type { UsageTotals } from '../UsageAccumulator.js';
import { totalsOf } from '../usageDimensions.js';

/** The daily rollup one group adds to one (day, provider, model, operation, status, task, session, agent). */
interface Rollup extends UsageTotals {
  /** day, day_start, provider, model, operation, status, task, session, agent. */
  dims: (string | number)[];
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
    const rollup = this.byKey.get(key);
    if (rollup !== undefined) addTotals(rollup, totalsOf(record));
    else {
      const dims = [day, utcDayStart(record.time), record.provider, record.model, record.operation, record.status, task, session, agent];
      this.byKey.set(key, { dims, ...totalsOf(record) });
    }
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
