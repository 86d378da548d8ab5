import type { Ledger, ResetRecord } from '../ledger/Ledger.js';
import { applyBudget } from './budgetBucket.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** What a reset did: the record logged in the store, and the budgets whose counters start again from zero. */
export interface BudgetResetResult extends ResetRecord {
  /** The budgets whose counters were reset: the session budgets for a session, every budget for `all`. */
  budgetIds: string[];
}

/** The longest actor kept, characters. */
const MAX_ACTOR_LENGTH = 200;

/**
 * Resets of budget counters (seeds' `resetSession()` / `clearAll()`). A reset sets the settled
 * spend of the counters to zero in the store, in one step, and logs who asked and when; usage,
 * records and reports keep the history. Every process sharing the store counts from zero at its
 * next admission (the counters live in the store). Calls in flight keep their reservations, and
 * what they settle after the reset counts in the new counters.
 */
export class BudgetResets {
  constructor(
    private readonly ledger: Ledger,
    private readonly budgets: () => Iterable<NormalizedBudget>,
    private readonly clock: () => number,
    /** Forgets what was announced for the counters (threshold events fire again as spend grows anew); undefined: every counter. */
    private readonly forget: (bucketKeys?: readonly string[]) => void,
  ) {}

  /**
   * The counters of every session budget (those this tollgate knows: config and stored) for
   * session `id` start again from zero. `actor` says who asked (default 'api').
   */
  async session(id: string, actor?: string): Promise<BudgetResetResult> {
    if (typeof id !== 'string' || id.trim() === '') {
      throw new TypeError(`tollgate: a session reset needs the session id (a non-empty string); got ${JSON.stringify(id)}`);
    }
    const now = this.clock();
    const bucketKeys: string[] = [];
    const budgetIds: string[] = [];
    for (const budget of this.budgets()) {
      if (budget.scope !== 'session') continue;
      const applied = applyBudget(budget, { id: 'reset', provider: budget.provider ?? '', model: budget.model ?? '', session: id }, now);
      if (applied?.bucket === undefined) continue;
      bucketKeys.push(applied.bucket.key);
      budgetIds.push(budget.id);
    }
    const reset: ResetRecord = { target: `session:${id}`, actor: actorOf(actor), time: now };
    await this.ledger.resetBuckets(reset, bucketKeys);
    this.forget(bucketKeys);
    return { ...reset, budgetIds };
  }

  /** Every budget counter in the store (all budgets, keys and windows) starts again from zero. */
  async all(actor?: string): Promise<BudgetResetResult> {
    const reset: ResetRecord = { target: 'all', actor: actorOf(actor), time: this.clock() };
    await this.ledger.resetBuckets(reset);
    this.forget();
    return { ...reset, budgetIds: [...this.budgets()].map((b) => b.id) };
  }

  /** The resets logged in the store, newest first (default the last 100). */
  list(limit?: number): Promise<ResetRecord[]> {
    return this.ledger.resets(limit);
  }
}

function actorOf(actor: string | undefined): string {
  const text = typeof actor === 'string' ? actor.trim().slice(0, MAX_ACTOR_LENGTH) : '';
  return text === '' ? 'api' : text;
}
