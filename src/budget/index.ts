export type { BudgetAction, BudgetScope, BudgetSpec, BudgetWindow } from '../core/Budget.js';
export { BudgetConfigError } from '../core/BudgetConfigError.js';
export { BudgetEngine } from './BudgetEngine.js';
export type {
  Admission,
  AdmissionRequest,
  BudgetEngineOptions,
  BudgetStatus,
  CallContext,
} from './BudgetEngine.js';
export { BudgetExceededError } from '../core/BudgetExceededError.js';
export type { BudgetExceededDetails } from '../core/BudgetExceededError.js';
export { applyBudget, counterKeyOf, ROLLING_DAY_MS, ROLLING_MONTH_MS } from './budgetBucket.js';
export type { AppliedBudget, BucketContext } from './budgetBucket.js';
export { LedgerUnavailableError } from '../core/LedgerUnavailableError.js';
export { attempt, chain, isPromise } from '../core/maybePromise.js';
export { BUDGET_ACTIONS, BUDGET_SCOPES, DEFAULT_THRESHOLDS, defaultBudgetId, normalizeBudget } from './normalizeBudget.js';
export type { NormalizedBudget } from './normalizeBudget.js';
