import type { MaybePromise } from '../core/maybePromise.js';

/**
 * One budget's state at a moment, as the budget engine reports it (structural:
 * `BudgetEngine.status()` returns this shape).
 */
export interface BudgetStatusView {
  budget: { id: string; scope: string };
  /** The counter's key: 'global', a task id, a session id... */
  key: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  remainingUsd: number;
}

/** Reads every budget's state; called at scrape time. */
export type BudgetStatusSource = () => MaybePromise<readonly BudgetStatusView[]>;

/** Reads today's (UTC) settled spend in USD; called at scrape time. */
export type DailySpendSource = () => MaybePromise<number>;
