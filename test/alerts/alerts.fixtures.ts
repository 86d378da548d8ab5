import type { BudgetExceededAlert, ThresholdAlert } from '../../src/alerts/Alert.js';

/** 2026-11-23T12:00:00.000Z */
export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

export const dailyThreshold: ThresholdAlert = {
  kind: 'threshold',
  budgetId: 'daily',
  scope: 'daily',
  key: 'global',
  threshold: 0.8,
  spentUsd: 16,
  limitUsd: 20,
  time: T0,
};

export const taskDenied: BudgetExceededAlert = {
  kind: 'budget_exceeded',
  budgetId: 'task-cap',
  scope: 'task',
  key: 'T-123',
  action: 'deny',
  spentUsd: 0.4925,
  limitUsd: 0.5,
  attemptedUsd: 0.0125,
  model: 'gpt-4o',
  time: T0 + 1000,
};

export const taskFallback: BudgetExceededAlert = {
  ...taskDenied,
  action: 'fallback',
  fallbackModel: 'gpt-4o-mini',
};
