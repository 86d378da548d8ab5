import type { BudgetAction, BudgetScope } from '../core/Budget.js';
import type { UsageGroup } from '../ledger/Ledger.js';
import type { RateLimitStatus } from '../ratelimit/RateLimitStatus.js';

/** One budget counter as the report shows it (USD at the edge, from the ledger's nanos). */
export interface ReportBudget {
  id: string;
  scope: BudgetScope;
  /** The counter's key: 'global', a task id, a session id... */
  key: string;
  spentUsd: number;
  limitUsd: number;
  remainingUsd: number;
  action: BudgetAction;
  /** The budget's filter: only calls to this provider / model count (absent: every call). */
  provider?: string;
  model?: string;
}

/**
 * One task of the report: `calls`, `errors`, tokens and cost are its model calls (chat, completions,
 * embeddings); its tool calls, memory operations and contract checks are counted apart.
 */
export interface ReportTask extends UsageGroup {
  toolCalls: number;
  memoryOps: number;
  contractChecks: number;
}

/** Totals of a time range. */
export interface ReportTotals {
  costUsd: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

/** Spend per attribution dimension, most expensive first (calls without the dimension left out). */
export interface ReportAttribution {
  users: UsageGroup[];
  teams: UsageGroup[];
  apiKeys: UsageGroup[];
  tags: UsageGroup[];
}

/** Budget event counts over the report's range. */
export interface ReportEvents {
  warned: number;
  fallbacks: number;
  denied: number;
}

/**
 * Everything a spend report shows, gathered by the caller (CLI, demo, API);
 * the render functions only format it. Group costs stay integer nano-USD
 * (`UsageGroup.costNanos`); the other amounts are already USD.
 */
export interface ReportData {
  /** Epoch ms when the data was read. */
  generatedAt: number;
  /** Epoch ms, inclusive; absent: from the first record. */
  since?: number;
  /** Epoch ms, exclusive; absent: up to now. */
  until?: number;
  /** The current session, when there is one. */
  session?: { id?: string; costUsd: number; calls: number };
  last24h: ReportTotals;
  byProvider: UsageGroup[];
  byModel: UsageGroup[];
  /** Most expensive tasks first (the caller picks how many). */
  topTasks: ReportTask[];
  /**
   * The most expensive users, teams, API keys (hashes) and tags (the caller picks how many, as for
   * tasks); absent when no call in the range carries any of them.
   */
  attribution?: ReportAttribution;
  budgets: ReportBudget[];
  rateLimits: RateLimitStatus[];
  events?: ReportEvents;
}
