import type { BudgetAction, BudgetScope } from './Budget.js';

export interface BudgetExceededDetails {
  budgetId: string;
  scope: BudgetScope;
  /** The counter's key: 'global', a task id, a session id, an agent id, or a request id. */
  key: string;
  /** Spent (settled + reserved) in the window before this call, USD. */
  spentUsd: number;
  limitUsd: number;
  /** The worst-case cost of the refused call, USD. */
  attemptedUsd: number;
  action: BudgetAction;
  /** The model that was refused. */
  model?: string;
}

/**
 * Thrown when a call does not fit a budget whose action is `deny` (or a `fallback`
 * budget whose fallback model does not fit either), and when a stream is cut off at
 * its request budget. The one error tollgate throws into the host's code on purpose.
 */
export class BudgetExceededError extends Error {
  readonly budgetId: string;
  readonly scope: BudgetScope;
  readonly key: string;
  readonly spentUsd: number;
  readonly limitUsd: number;
  readonly attemptedUsd: number;
  readonly action: BudgetAction;
  readonly model: string | undefined;

  constructor(details: BudgetExceededDetails, message?: string) {
    super(
      message ??
        `tollgate: ${details.scope} budget "${details.budgetId}" (${details.key}) exceeded: ` +
          `spent $${details.spentUsd.toFixed(6)} of $${details.limitUsd.toFixed(6)}, ` +
          `call needs up to $${details.attemptedUsd.toFixed(6)}`,
    );
    this.name = 'BudgetExceededError';
    this.budgetId = details.budgetId;
    this.scope = details.scope;
    this.key = details.key;
    this.spentUsd = details.spentUsd;
    this.limitUsd = details.limitUsd;
    this.attemptedUsd = details.attemptedUsd;
    this.action = details.action;
    this.model = details.model;
  }

  toJSON(): BudgetExceededDetails & { name: string; message: string } {
    return {
      name: this.name,
      message: this.message,
      budgetId: this.budgetId,
      scope: this.scope,
      key: this.key,
      spentUsd: this.spentUsd,
      limitUsd: this.limitUsd,
      attemptedUsd: this.attemptedUsd,
      action: this.action,
      ...(this.model !== undefined ? { model: this.model } : {}),
    };
  }
}
