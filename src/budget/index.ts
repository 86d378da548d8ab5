export type { BudgetAction, BudgetScope, BudgetSpec, BudgetWindow } from './Budget.js';
export { BudgetConfigError } from './BudgetConfigError.js';
export { BudgetEngine } from './BudgetEngine.js';
export type {
  Admission,
  AdmissionRequest,
  BudgetEngineOptions,
  BudgetStatus,
  CallContext,
} from './BudgetEngine.js';
export { BudgetExceededError } from './BudgetExceededError.js';
export type { BudgetExceededDetails } from './BudgetExceededError.js';
export { applyBudget, counterKeyOf, ROLLING_DAY_MS, ROLLING_MONTH_MS } from './budgetBucket.js';
export type { AppliedBudget, BucketContext } from './budgetBucket.js';
export { LedgerUnavailableError } from './LedgerUnavailableError.js';
export { attempt, chain, isPromise } from './maybePromise.js';
export { BUDGET_ACTIONS, BUDGET_SCOPES, DEFAULT_THRESHOLDS, defaultBudgetId, normalizeBudget } from './normalizeBudget.js';
export type { NormalizedBudget } from './normalizeBudget.js';
