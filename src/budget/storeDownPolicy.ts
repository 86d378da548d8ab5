import type { BudgetFailMode } from '../core/Budget.js';
import type { AppliedBudget } from './budgetBucket.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/**
 * What a budget does when the store cannot answer during an admission (an outage, or no answer
 * within the store's wait time): the budget's own `failMode`, else the engine-wide `failMode`
 * option when it is set, else by its action — deny and fallback budgets fail closed (the call is
 * refused with LedgerUnavailableError), warn budgets fail open (the call goes on, loudly).
 */
export function failModeOf(budget: NormalizedBudget, engineDefault: BudgetFailMode | undefined): BudgetFailMode {
  return budget.failMode ?? engineDefault ?? (budget.onExceed === 'warn' ? 'open' : 'closed');
}

/**
 * The first budget among those applied to a call whose counter needs the store and that fails
 * closed; undefined when every such budget fails open (the call may go on without the store).
 * Request budgets need no store and were already checked.
 */
export function closedBudgetOf(applied: readonly AppliedBudget[], engineDefault: BudgetFailMode | undefined): NormalizedBudget | undefined {
  return applied.find((a) => a.bucket !== undefined && failModeOf(a.budget, engineDefault) === 'closed')?.budget;
}
