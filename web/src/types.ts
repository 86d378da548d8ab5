/** The JSON shapes of the tollgate API the page reads (see README "HTTP API and events"). */

export interface UsageGroup {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  costUsd: number;
}

export interface UsageAnswer {
  groups: UsageGroup[];
  total: UsageGroup;
}

export interface Budget {
  id: string;
  scope: string;
  maxUsd: number;
  onExceed: 'deny' | 'warn' | 'fallback';
  fallbackModel?: string;
  provider?: string;
  model?: string;
  thresholds: number[];
}

export interface BudgetStatus {
  budget: Budget;
  key: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  remainingUsd: number;
  windowStart?: number;
  windowEnd?: number;
}

export interface PauseState {
  paused: boolean;
  reason?: string;
  since?: number;
}

export interface BudgetsAnswer {
  budgets: Budget[];
  status: BudgetStatus[];
  pause?: PauseState;
}

export interface UsageRecord {
  id: string;
  time: number;
  traceId?: string;
  task?: string;
  session?: string;
  provider: string;
  model: string;
  operation: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  status: string;
  metadata?: Record<string, string | number | boolean>;
}

export interface UsageEvent {
  record: UsageRecord;
  costUsd: number;
  durationMs?: number;
}

export interface BudgetExceededEvent {
  budgetId: string;
  key: string;
  action: 'deny' | 'warn' | 'fallback';
  model?: string;
  fallbackModel?: string;
  time: number;
}

export interface ThresholdEvent {
  budgetId: string;
  key: string;
  threshold: number;
  spentUsd: number;
  limitUsd: number;
  time: number;
}

export interface TraceSummary {
  traceId: string;
  rootName: string;
  start: number;
  durationMs: number;
  spanCount: number;
  costUsd: number;
  status: string;
}

export interface TraceSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  durationMs: number;
  attributes: Record<string, string | number | boolean | (string | number | boolean)[]>;
}

export interface TraceDetail extends TraceSummary {
  spans: TraceSpan[];
}

/** One provider/model of `unpricedCalls` in /v1/status. */
export interface UnpricedSeries {
  provider: string;
  model: string;
  calls: number;
  /** The calls by unpriced unit (`model` when the model has no price); absent from older servers. */
  units?: { unit: string; calls: number }[];
}

/** The part of GET /v1/status the page reads. */
export interface StatusAnswer {
  unpricedCalls?: UnpricedSeries[];
}
