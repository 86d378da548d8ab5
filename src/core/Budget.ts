/** What a budget counts against. */
export type BudgetScope = 'request' | 'task' | 'session' | 'agent' | 'daily' | 'weekly' | 'monthly' | 'total';

/** What happens when a call would not fit. */
export type BudgetAction = 'deny' | 'warn' | 'fallback';

/**
 * `calendar`: daily resets at 00:00 UTC, weekly on Monday 00:00 UTC (ISO week),
 * monthly on the 1st (UTC).
 * `rolling`: the last 24 h (daily) / 7 days (weekly) / 30 days (monthly).
 * Only meaningful for daily, weekly and monthly scopes.
 */
export type BudgetWindow = 'calendar' | 'rolling';

/** What a budget does when the store cannot answer: 'closed' refuses the call, 'open' lets it go on unbudgeted (loudly). */
export type BudgetFailMode = 'open' | 'closed';

/**
 * Which calls a budget counts, by attribution: every field given must match (`tag`: the call
 * carries that tag; `apiKey`: the key or its hash, stored hashed; `metadata.<key>`: that value).
 */
export interface BudgetWhere {
  user?: string;
  team?: string;
  apiKey?: string;
  tag?: string;
  [metadata: `metadata.${string}`]: string | undefined;
}

/** A dimension a budget may count per value: one counter per distinct user, team, API key or metadata value. */
export type BudgetPer = 'user' | 'team' | 'apiKey' | `metadata.${string}`;

/** A budget as written in config or sent to the API. */
export interface BudgetSpec {
  /** Stable id; default `${scope}` plus filters, e.g. `daily`, `task:model=gpt-4o`. */
  id?: string;
  scope: BudgetScope;
  /** Limit in USD (> 0). */
  maxUsd: number;
  /** Default 'deny'. */
  onExceed?: BudgetAction;
  /** Required when onExceed is 'fallback'. */
  fallbackModel?: string;
  /** Default 'calendar'. */
  window?: BudgetWindow;
  /** Only count calls to this provider. */
  provider?: string;
  /** Only count calls to this model. */
  model?: string;
  /** Only apply to this task / session / agent id (for those scopes); default: every id, each its own counter. */
  key?: string;
  /** Only count calls with these attribution values, e.g. `{ team: 'search' }`. */
  where?: BudgetWhere;
  /**
   * One counter per distinct value of this dimension (daily, weekly, monthly and total scopes),
   * e.g. `per: 'user'` gives every user `maxUsd`; calls without the value are not counted.
   */
  per?: BudgetPer;
  /** Fractions of the limit that emit a `threshold` event once per window. Default [0.5, 0.8, 1]. */
  thresholds?: number[];
  /**
   * When the store cannot answer (Redis down, or no answer within its wait time): 'closed'
   * refuses calls this budget applies to, 'open' lets them go on unbudgeted (reported as a
   * problem). Default: the engine-wide `failMode` when set, else 'closed' for deny and fallback
   * budgets and 'open' for warn budgets.
   */
  failMode?: BudgetFailMode;
}
