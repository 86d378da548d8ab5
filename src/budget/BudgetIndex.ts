import type { BucketContext } from './budgetBucket.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** A budget and its place in budget order (decisions name the first failing budget in that order). */
export interface BudgetSlot {
  position: number;
  budget: NormalizedBudget;
}

type IdScope = 'task' | 'session' | 'agent';

/**
 * The budgets in force, split so that a call touches only those that can apply to it: the
 * general ones (every scope but per-id budgets with a `key`), walked for every call, and the
 * per-id budgets with a `key`, looked up by the call's task / session / agent id. Built once per
 * change of the budgets; lookups cost the same with one keyed budget or a million.
 */
export class BudgetIndex {
  /** Budgets without a `key`, in budget order. */
  readonly general: readonly BudgetSlot[];
  private readonly keyed: Record<IdScope, Map<string, BudgetSlot[]>> = { task: new Map(), session: new Map(), agent: new Map() };

  constructor(budgets: Iterable<NormalizedBudget>) {
    const general: BudgetSlot[] = [];
    let position = 0;
    for (const budget of budgets) {
      const slot = { position: position++, budget };
      const key = budget.key;
      if (key === undefined || (budget.scope !== 'task' && budget.scope !== 'session' && budget.scope !== 'agent')) {
        general.push(slot);
        continue;
      }
      const byId = this.keyed[budget.scope];
      const slots = byId.get(key);
      if (slots === undefined) byId.set(key, [slot]);
      else slots.push(slot);
    }
    this.general = general;
  }

  /**
   * The keyed budgets whose scope and key match the call's ids, in budget order (any provider
   * or model: the caller applies those filters); undefined when there are none.
   */
  keyedFor(ctx: Pick<BucketContext, IdScope>): readonly BudgetSlot[] | undefined {
    const task = ctx.task === undefined ? undefined : this.keyed.task.get(ctx.task);
    const session = ctx.session === undefined ? undefined : this.keyed.session.get(ctx.session);
    const agent = ctx.agent === undefined ? undefined : this.keyed.agent.get(ctx.agent);
    if (session === undefined && agent === undefined) return task;
    if (task === undefined && agent === undefined) return session;
    if (task === undefined && session === undefined) return agent;
    return [...(task ?? []), ...(session ?? []), ...(agent ?? [])].sort((a, b) => a.position - b.position);
  }
}
