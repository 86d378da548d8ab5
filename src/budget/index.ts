export type { BudgetAction, BudgetPer, BudgetScope, BudgetSpec, BudgetWhere, BudgetWindow } from '../core/Budget.js';
export { BudgetConfigError } from '../core/BudgetConfigError.js';
export { BudgetEngine } from './BudgetEngine.js';
export type { BudgetEngineOptions } from './BudgetEngine.js';
export type { BudgetStatus, StatusFilter } from './budgetStatus.js';
export type {
  Admission,
  CallContext,
  CallRequest,
  CostSource,
  FinishedCall,
  PriceBasis,
  SettledCall,
  SettledCallSink,
  UsageSource,
} from './CallTypes.js';
export type { Pricer } from './Pricer.js';
export { PAUSE_RECORD_ID, PauseSwitch } from './PauseSwitch.js';
export type { PauseState } from './PauseSwitch.js';
export { BudgetResets } from './BudgetResets.js';
export type { BudgetResetResult } from './BudgetResets.js';
export type { UnpricedUnderCap } from './CallPricing.js';
export { InputCorrection } from './InputCorrection.js';
export type { InputCorrectionOptions } from './InputCorrection.js';
export { BudgetExceededError } from '../core/BudgetExceededError.js';
export type { BudgetExceededDetails } from '../core/BudgetExceededError.js';
export { applyBudget, counterKeyOf, ROLLING_DAY_MS, ROLLING_MONTH_MS, ROLLING_WEEK_MS } from './budgetBucket.js';
export type { AppliedBudget, BucketContext } from './budgetBucket.js';
export { LedgerUnavailableError } from '../core/LedgerUnavailableError.js';
export { BUDGET_ACTIONS, BUDGET_SCOPES, DEFAULT_THRESHOLDS, defaultBudgetId, normalizeBudget } from './normalizeBudget.js';
export type { NormalizedBudget } from './normalizeBudget.js';
