import { formatUsd, type Nanos } from '../core/money.js';
import type { Problems } from '../core/Problems.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import type { BucketSeed, Ledger } from '../ledger/Ledger.js';
import { applyBudget, windowStartOf } from './budgetBucket.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** Records read per page. */
const PAGE = 10_000;
/** Resets read from the store's log (newest first; it keeps 1,000 on Redis). */
const RESETS_READ = 1_000;

/**
 * Starts the counters of a budget added at run time at the spend their windows already hold
 * (spendBefore, then Ledger.seed), before the budget is stored and applies; reports what it
 * could not count. A daily cap added at 15:00 counts the day from 00:00.
 */
export async function seedNewBudget(ledger: Ledger, problems: Problems, budget: NormalizedBudget, now: number): Promise<void> {
  if (budget.scope === 'request') return;
  if (ledger.seed === undefined) {
    problems.report('store', `budget "${budget.id}" counts spend from when it was added: this store has no seed(), so what was spent earlier in its window is not counted`);
    return;
  }
  const { seeds, unseenNanos } = await spendBefore(ledger, budget, now);
  if (seeds.length > 0) await ledger.seed(seeds);
  if (unseenNanos > 0) {
    problems.report(
      'store',
      `budget "${budget.id}": up to ${formatUsd(unseenNanos)} spent in its window has no records left in the store (pruned past the retention, or beyond Redis' streamMaxLen), so its counters may start below what was spent`,
    );
  }
}

/** What a new budget's counters already hold: the seeds, and what the store counts but no longer keeps records of. */
export interface SpendBefore {
  /** One per counter (calendar and never-ending windows), one per record for rolling windows. */
  seeds: BucketSeed[];
  /**
   * Spend of the window, on the budget's provider and model, that the store's usage totals count
   * but whose records are gone (pruned past the retention, or beyond Redis' stream cap): it is
   * not in `seeds`, so the counters may start below what was spent. An upper bound: the
   * budget's `where` and per-id scope are not applied to it.
   */
  unseenNanos: Nanos;
}

/**
 * The spend already settled in the current window of each counter a new budget will have (a
 * budget added at 15:00 that caps the day counts what was spent since 00:00): every record the
 * store keeps from the window's start on that the budget applies to, summed per counter (each
 * record at its own time for a rolling window). Spend before the latest reset of the counters
 * (`all`, or `session:<id>` for a session budget) is left out, as the reset left it.
 */
export async function spendBefore(ledger: Ledger, budget: NormalizedBudget, now: number): Promise<SpendBefore> {
  if (budget.scope === 'request') return { seeds: [], unseenNanos: 0 };
  const since = windowStartOf(budget, now);
  const { allReset, sessionResets } = latestResets(await ledger.resets(RESETS_READ));
  const filter = { ...(budget.provider !== undefined ? { provider: budget.provider } : {}), ...(budget.model !== undefined ? { model: budget.model } : {}) };
  // Read before the records: whatever settles in between is in the records read, never counted as unseen.
  const counted = (await ledger.usage({ since, by: 'provider', where: filter })).reduce((sum, g) => sum + g.costNanos, 0);
  let keptNanos = 0;
  const counters = new Map<string, BucketSeed>();
  const rolling: BucketSeed[] = [];
  await eachRecord(ledger, since, (r) => {
    if ((budget.provider === undefined || r.provider === budget.provider) && (budget.model === undefined || r.model === budget.model)) keptNanos += r.costNanos;
    if (r.costNanos === 0 || r.time < allReset) return;
    if (budget.scope === 'session' && r.session !== undefined && r.time < (sessionResets.get(r.session) ?? Number.NEGATIVE_INFINITY)) return;
    const bucket = applyBudget(budget, r, r.time)?.bucket;
    if (bucket === undefined) return;
    if (bucket.rollingMs !== undefined) {
      rolling.push({ bucket, nanos: r.costNanos, time: r.time });
      return;
    }
    const seed = counters.get(bucket.key);
    if (seed === undefined) counters.set(bucket.key, { bucket, nanos: r.costNanos, time: r.time });
    else {
      seed.nanos += r.costNanos;
      seed.time = Math.max(seed.time, r.time);
    }
  });
  return { seeds: [...counters.values(), ...rolling], unseenNanos: Math.max(0, counted - keptNanos) };
}

/** The time of the latest `all` reset, and of each session's latest reset. */
function latestResets(resets: readonly { target: string; time: number }[]): { allReset: number; sessionResets: Map<string, number> } {
  let allReset = Number.NEGATIVE_INFINITY;
  const sessionResets = new Map<string, number>();
  for (const r of resets) {
    if (r.target === 'all') allReset = Math.max(allReset, r.time);
    else if (r.target.startsWith('session:')) {
      const id = r.target.slice('session:'.length);
      sessionResets.set(id, Math.max(sessionResets.get(id) ?? Number.NEGATIVE_INFINITY, r.time));
    }
  }
  return { allReset, sessionResets };
}

/**
 * Visits every record from `since` on, newest first, in pages of PAGE, letting the event loop run
 * between pages. A page ends at the time of its oldest record; the records of that very ms are
 * read on their own, all of them, so that none is visited twice or skipped however many share it.
 */
async function eachRecord(ledger: Ledger, since: number, visit: (record: UsageRecord) => void): Promise<void> {
  let until: number | undefined;
  for (;;) {
    const page = await ledger.records({ since, ...(until !== undefined ? { until } : {}), limit: PAGE });
    if (page.length < PAGE) {
      for (const r of page) visit(r);
      return;
    }
    const oldest = (page[page.length - 1] as UsageRecord).time;
    for (const r of page) if (r.time > oldest) visit(r);
    for (const r of await ledger.records({ since: oldest, until: oldest + 1, limit: Number.MAX_SAFE_INTEGER })) visit(r);
    if (oldest <= since) return;
    until = oldest;
    // A store may answer synchronously (SQLite, memory): the calls of the service go on between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
