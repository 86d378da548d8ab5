import type { BudgetFailMode, BudgetSpec } from '../core/Budget.js';
import type { Problems } from '../core/Problems.js';
import type { EventBus } from '../events/EventBus.js';
import type { Ledger } from '../ledger/Ledger.js';
import type { UnknownModelPolicy } from '../pricing/types.js';
import type { UnpricedUnderCap } from './CallPricing.js';
import type { Pricer } from './Pricer.js';

/** What a BudgetEngine is made of, and how it decides. */
export interface BudgetEngineOptions {
  ledger: Ledger;
  pricer: Pricer;
  /** Budgets from configuration (not stored in the ledger). Default none. */
  budgets?: BudgetSpec[];
  /** Epoch ms now. Default `Date.now`. */
  clock?: () => number;
  /** Where `budget_exceeded`, `threshold` and `reservation_shortfall` events go. Default a private EventBus. */
  events?: EventBus;
  /** Where run-time problems are reported. Default a Problems writing to stderr. */
  problems?: Problems;
  /** How long an unsettled reservation holds budget, ms. Default 600000 (10 min). */
  reservationTtlMs?: number;
  /** Store failure during admission, for budgets without their own `failMode` (see storeDownPolicy): 'open' | 'closed'. Default: by action (deny/fallback closed, warn open). */
  failMode?: BudgetFailMode;
  /** Output tokens reserved for a call whose caller set no limit. Default 4096. */
  defaultMaxOutputTokens?: number;
  /** When less output than this fits under a cap, the call is refused rather than shrunk. Default 16. */
  minOutputTokens?: number;
  /** Extra share added to every input estimate (0.2 = +20 %). Default 0. */
  inputMargin?: number;
  /** The pricing config's unknown-model policy. Default 'warn'. */
  unknownModel?: UnknownModelPolicy;
  /** An unpriced model under a deny/fallback budget: 'ceiling' (default) reserves and charges the dearest prices; 'deny' refuses. */
  unpricedUnderCap?: UnpricedUnderCap;
}
