import type { Alert } from './Alert.js';

/**
 * One plain-text line for an alert (an email subject, a log line), e.g.
 * "tollgate: daily budget 80% used ($16.00 of $20.00)" or
 * "tollgate: health check failed (store: connect ECONNREFUSED 127.0.0.1:6379)". A pure function.
 */
export function alertSummary(alert: Alert): string {
  switch (alert.kind) {
    case 'threshold':
      return `tollgate: ${subject(alert.scope, alert.key)} ${trimNumber(alert.threshold * 100)}% used (${usd(alert.spentUsd, alert.limitUsd)} of ${usd(alert.limitUsd, alert.limitUsd)})`;
    case 'budget_exceeded': {
      const model = alert.model !== undefined ? ` ${alert.model}` : '';
      const what =
        alert.action === 'deny'
          ? `call${model} denied`
          : alert.action === 'fallback'
            ? `call${model} re-routed${alert.fallbackModel !== undefined ? ` to ${alert.fallbackModel}` : ''}`
            : `call${model} allowed with a warning`;
      return `tollgate: ${subject(alert.scope, alert.key)} exceeded, ${what} (spent ${usd(alert.spentUsd, alert.limitUsd)} of ${usd(alert.limitUsd, alert.limitUsd)})`;
    }
    case 'health_check_failed':
      return `tollgate: health check failed (${alert.failed.map((f) => (f.error !== undefined ? `${f.check}: ${f.error}` : f.check)).join('; ')})`;
    case 'store_reset':
      return `tollgate: the store lost its data (key prefix "${alert.keyPrefix}", epoch ${alert.previousEpoch} → ${alert.epoch}); budgets restarted from what the running processes re-added`;
    case 'lease':
      return `tollgate: the store cannot be reached (${alert.reason}); budget "${alert.budgetId}" admits calls from this process' lease ($${alert.remainingUsd.toFixed(4)} of $${alert.leaseUsd.toFixed(4)} left, until ${new Date(alert.usableUntil).toISOString()})`;
    case 'rate_limited': {
      const what = alert.action === 'wait' ? 'a call waited' : alert.action === 'reject' ? 'a call was refused' : 'checkRateLimit answered no';
      return `tollgate: ${alert.provider} ${alert.limit} limit reached, ${what} (${alert.used} of ${alert.max} used)`;
    }
  }
}

/** "daily budget", or "task budget for T-1" when the counter is not global. */
function subject(scope: string, key: string): string {
  return `${scope} budget${key !== 'global' && key !== '' ? ` for ${key}` : ''}`;
}

/** Dollars with 2 decimals, or 4 when the limit is under $1. */
function usd(value: number, limit: number): string {
  return `$${value.toFixed(Math.abs(limit) < 1 ? 4 : 2)}`;
}

function trimNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}
