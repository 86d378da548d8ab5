import type { AppliedBudget, BucketContext } from './budgetBucket.js';
import type { NormalizedBudget } from './normalizeBudget.js';
import { indexProbeOf, probesOf } from './budgetDimensions.js';
import type { DimensionContext } from './budgetDimensions.js';

/** A budget and its place in budget order (decisions name the first failing budget in that order). */
export interface BudgetSlot {
  position: number;
  budget: NormalizedBudget;
  /** A per-id budget with a `key`: its counter, the same for every call carrying the key (built on first use, see BudgetSet). */
  applied: AppliedBudget | undefined;
}

type IdScope = 'task' | 'session' | 'agent';

/**
 * The budgets in force, split so that a call touches only those that can apply to it: the
 * general ones (every scope but per-id budgets with a `key` and budgets with a `where`), walked
 * for every call; the per-id budgets with a `key`, looked up by the call's task / session / agent
 * id; and the budgets with a `where`, looked up by the call's attribution values (`team=search`,
 * `tag=batch`..., one probe per value the call carries) under the first field of their `where`.
 * Built once per change of the budgets; lookups cost the same with one keyed budget or a million.
 */
export class BudgetIndex {
  /** Budgets without a `key`, in budget order. */
  readonly general: readonly BudgetSlot[];
  private readonly keyed: Record<IdScope, Map<string, BudgetSlot[]>> = { task: new Map(), session: new Map(), agent: new Map() };
  /** Budgets with a `where` (and no per-id `key`), by the probe of their first where field. */
  private readonly attributed = new Map<string, BudgetSlot[]>();

  constructor(budgets: Iterable<NormalizedBudget>) {
    const general: BudgetSlot[] = [];
    let position = 0;
    for (const budget of budgets) {
      const slot: BudgetSlot = { position: position++, budget, applied: undefined };
      const key = budget.key;
      if (key === undefined || (budget.scope !== 'task' && budget.scope !== 'session' && budget.scope !== 'agent')) {
        if (budget.where === undefined) general.push(slot);
        else push(this.attributed, indexProbeOf(budget.where), slot);
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
   * The keyed budgets whose scope and key match the call's ids, and the where-budgets indexed
   * under one of the call's attribution values, in budget order (any provider or model, and
   * the rest of each `where`: the caller applies those filters); undefined when there are none.
   */
  keyedFor(ctx: Pick<BucketContext, IdScope> & DimensionContext): readonly BudgetSlot[] | undefined {
    const ids = this.idKeyedFor(ctx);
    if (this.attributed.size === 0) return ids;
    let found: BudgetSlot[] | undefined;
    for (const probe of probesOf(ctx)) {
      const slots = this.attributed.get(probe);
      if (slots !== undefined) (found ??= []).push(...slots);
    }
    if (found === undefined) return ids;
    return [...new Set([...(ids ?? []), ...found])].sort((a, b) => a.position - b.position);
  }

  private idKeyedFor(ctx: Pick<BucketContext, IdScope>): readonly BudgetSlot[] | undefined {
    const task = ctx.task === undefined ? undefined : this.keyed.task.get(ctx.task);
    const session = ctx.session === undefined ? undefined : this.keyed.session.get(ctx.session);
    const agent = ctx.agent === undefined ? undefined : this.keyed.agent.get(ctx.agent);
    if (session === undefined && agent === undefined) return task;
    if (task === undefined && agent === undefined) return session;
    if (task === undefined && session === undefined) return agent;
    return [...(task ?? []), ...(session ?? []), ...(agent ?? [])].sort((a, b) => a.position - b.position);
  }
}

function push(map: Map<string, BudgetSlot[]>, key: string, slot: BudgetSlot): void {
  const slots = map.get(key);
  if (slots === undefined) map.set(key, [slot]);
  else slots.push(slot);
}
