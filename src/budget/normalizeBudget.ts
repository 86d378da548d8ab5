import { diag } from '@opentelemetry/api';
import type { BudgetAction, BudgetScope, BudgetSpec, BudgetWindow } from '../core/Budget.js';
import { BudgetConfigError } from '../core/BudgetConfigError.js';
import { MAX_BUDGET_USD } from '../core/money.js';
import { describeWhere, normalizePer, normalizeWhere } from './budgetDimensions.js';

/** A validated budget with every default applied. */
export interface NormalizedBudget extends BudgetSpec {
  id: string;
  onExceed: BudgetAction;
  window: BudgetWindow;
  thresholds: number[];
}

export const BUDGET_SCOPES: readonly BudgetScope[] = ['request', 'task', 'session', 'agent', 'daily', 'weekly', 'monthly', 'total'];
export const BUDGET_ACTIONS: readonly BudgetAction[] = ['deny', 'warn', 'fallback'];
export const DEFAULT_THRESHOLDS: readonly number[] = Object.freeze([0.5, 0.8, 1]);
/** The thresholds of every budget that does not set its own: one shared list (budgets are never changed in place). */
const SHARED_DEFAULT_THRESHOLDS = DEFAULT_THRESHOLDS as number[];

/** Scopes with a time window (calendar or rolling). */
export const WINDOW_SCOPES: ReadonlySet<BudgetScope> = new Set<BudgetScope>(['daily', 'weekly', 'monthly']);

/** Scopes whose counters are per id (the call must carry that id). */
export const ID_SCOPES: ReadonlySet<BudgetScope> = new Set<BudgetScope>(['task', 'session', 'agent']);

/**
 * Validates a budget and applies its defaults. Throws BudgetConfigError naming the
 * field (prefixed with `path`, e.g. `budgets[2]`) and what is wrong with it.
 */
export function normalizeBudget(input: unknown, path = 'budget'): NormalizedBudget {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BudgetConfigError(path, 'must be an object like { scope: "daily", maxUsd: 20 }');
  }
  const spec = input as Record<string, unknown>;
  const scope = spec['scope'];
  if (typeof scope !== 'string' || !BUDGET_SCOPES.includes(scope as BudgetScope)) {
    throw new BudgetConfigError(`${path}.scope`, `must be one of ${BUDGET_SCOPES.join(', ')}; got ${JSON.stringify(scope)}`);
  }
  const maxUsd = spec['maxUsd'];
  if (typeof maxUsd !== 'number' || !Number.isFinite(maxUsd) || maxUsd <= 0 || maxUsd > MAX_BUDGET_USD) {
    throw new BudgetConfigError(`${path}.maxUsd`, `must be a number of USD greater than 0 and at most 1e15; got ${typeof maxUsd === 'number' ? String(maxUsd) : JSON.stringify(maxUsd)}`);
  }
  const onExceed = spec['onExceed'] ?? 'deny';
  if (typeof onExceed !== 'string' || !BUDGET_ACTIONS.includes(onExceed as BudgetAction)) {
    throw new BudgetConfigError(`${path}.onExceed`, `must be one of ${BUDGET_ACTIONS.join(', ')}; got ${JSON.stringify(onExceed)}`);
  }
  const fallbackModel = optionalString(spec, 'fallbackModel', path);
  if (onExceed === 'fallback' && fallbackModel === undefined) {
    throw new BudgetConfigError(`${path}.fallbackModel`, "is required when onExceed is 'fallback' (the model to use instead)");
  }
  const rawWindow = spec['window'] ?? 'calendar';
  if (rawWindow !== 'calendar' && rawWindow !== 'rolling') {
    throw new BudgetConfigError(`${path}.window`, `must be 'calendar' or 'rolling'; got ${JSON.stringify(rawWindow)}`);
  }
  let window: BudgetWindow = rawWindow;
  if (window === 'rolling' && !WINDOW_SCOPES.has(scope as BudgetScope)) {
    diag.warn(`tollgate: ${path}.window 'rolling' only applies to daily, weekly and monthly budgets; ignored for scope '${scope}'`);
    window = 'calendar';
  }
  const provider = optionalString(spec, 'provider', path);
  const model = optionalString(spec, 'model', path);
  let key = optionalString(spec, 'key', path);
  if (key !== undefined && !ID_SCOPES.has(scope as BudgetScope)) {
    diag.warn(`tollgate: ${path}.key only applies to task, session and agent budgets; ignored for scope '${scope}'`);
    key = undefined;
  }
  const where = normalizeWhere(spec['where'], `${path}.where`);
  const per = normalizePer(spec['per'], scope as BudgetScope, `${path}.per`);
  const thresholds = normalizeThresholds(spec['thresholds'], `${path}.thresholds`);
  const failMode = spec['failMode'];
  if (failMode !== undefined && failMode !== null && failMode !== 'open' && failMode !== 'closed') {
    throw new BudgetConfigError(`${path}.failMode`, `must be 'open' or 'closed' (what the budget does when the store cannot answer); got ${JSON.stringify(failMode)}`);
  }
  const explicitId = optionalString(spec, 'id', path);

  const budget: NormalizedBudget = {
    id: '',
    scope: scope as BudgetScope,
    maxUsd,
    onExceed: onExceed as BudgetAction,
    window,
    thresholds,
  };
  if (fallbackModel !== undefined) budget.fallbackModel = fallbackModel;
  if (provider !== undefined) budget.provider = provider;
  if (model !== undefined) budget.model = model;
  if (key !== undefined) budget.key = key;
  if (failMode === 'open' || failMode === 'closed') budget.failMode = failMode;
  if (where !== undefined) budget.where = where;
  if (per !== undefined) budget.per = per;
  budget.id = explicitId ?? defaultBudgetId(budget);
  return budget;
}

/**
 * `scope`, plus what tells budgets of the same scope apart, e.g. `daily`,
 * `task:model=gpt-4o`, `daily:window=rolling,onExceed=warn`.
 */
export function defaultBudgetId(b: Omit<NormalizedBudget, 'id'>): string {
  const parts: string[] = [];
  if (b.provider !== undefined) parts.push(`provider=${b.provider}`);
  if (b.model !== undefined) parts.push(`model=${b.model}`);
  if (b.key !== undefined) parts.push(`key=${b.key}`);
  if (b.where !== undefined) parts.push(describeWhere(b.where));
  if (b.per !== undefined) parts.push(`per=${b.per}`);
  if (b.window === 'rolling') parts.push('window=rolling');
  if (b.onExceed !== 'deny') parts.push(`onExceed=${b.onExceed}`);
  return parts.length === 0 ? b.scope : `${b.scope}:${parts.join(',')}`;
}

function optionalString(spec: Record<string, unknown>, field: string, path: string): string | undefined {
  const value = spec[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BudgetConfigError(`${path}.${field}`, `must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  return value;
}

function normalizeThresholds(value: unknown, field: string): number[] {
  if (value === undefined || value === null) return SHARED_DEFAULT_THRESHOLDS;
  if (!Array.isArray(value)) throw new BudgetConfigError(field, 'must be an array of fractions of the limit, e.g. [0.5, 0.8, 1]');
  for (const t of value) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
      throw new BudgetConfigError(field, `must hold fractions of the limit greater than 0 (e.g. 0.8); got ${JSON.stringify(t)}`);
    }
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}
