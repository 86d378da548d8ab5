import type { Alert, BudgetExceededAlert, ThresholdAlert } from './Alert.js';
import { alertSummary } from './alertSummary.js';

/** A Slack `mrkdwn` text object. */
export interface SlackText {
  type: 'mrkdwn';
  text: string;
}

/** The Block Kit blocks tollgate sends. */
export type SlackBlock = { type: 'section'; text: SlackText } | { type: 'context'; elements: SlackText[] };

/** A Slack incoming-webhook body: `text` is the notification fallback, `blocks` the rich message. */
export interface SlackPayload {
  text: string;
  blocks?: SlackBlock[];
}

/**
 * Build the Slack incoming-webhook body for one alert (a pure function), e.g.
 * ":warning: tollgate: daily budget 80% used — $16.00 of $20.00".
 * Ids that come from the host (budget ids, keys, models, service) are escaped
 * for Slack mrkdwn (`&`, `<`, `>`).
 */
export function slackPayload(alert: Alert, service?: string): SlackPayload {
  const text =
    alert.kind === 'threshold'
      ? thresholdText(alert)
      : alert.kind === 'budget_exceeded'
        ? exceededText(alert)
        : `${alert.kind === 'health_check_failed' || alert.kind === 'store_reset' ? ':rotating_light:' : alert.kind === 'lease' ? ':warning:' : ':hourglass:'} ${escape(alertSummary(alert))}`;
  const about =
    alert.kind === 'threshold' || alert.kind === 'budget_exceeded'
      ? [`budget \`${escape(alert.budgetId)}\``, `key \`${escape(alert.key)}\``]
      : alert.kind === 'rate_limited'
        ? [`provider \`${escape(alert.provider)}\``]
        : alert.kind === 'lease'
          ? [`budget \`${escape(alert.budgetId)}\``, `counter \`${escape(alert.bucketKey)}\``]
          : [];
  const context = [
    ...about,
    ...(service !== undefined ? [`service \`${escape(service)}\``] : []),
    new Date(alert.time).toISOString(),
  ].join(' · ');
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

function thresholdText(alert: ThresholdAlert): string {
  const emoji = alert.threshold >= 1 ? ':rotating_light:' : ':warning:';
  const percent = `${trimNumber(alert.threshold * 100)}%`;
  return (
    `${emoji} tollgate: ${subject(alert)} ${percent} used — ` +
    `${usd(alert.spentUsd, alert.limitUsd)} of ${usd(alert.limitUsd, alert.limitUsd)}`
  );
}

function exceededText(alert: BudgetExceededAlert): string {
  const money =
    `spent ${usd(alert.spentUsd, alert.limitUsd)} of ${usd(alert.limitUsd, alert.limitUsd)}, ` +
    `call needed ${usd(alert.attemptedUsd, alert.limitUsd)}`;
  const model = alert.model !== undefined ? ` \`${escape(alert.model)}\`` : '';
  switch (alert.action) {
    case 'deny':
      return `:no_entry: tollgate: ${subject(alert)} exceeded — call${model} denied (${money})`;
    case 'fallback': {
      const target = alert.fallbackModel !== undefined ? ` to \`${escape(alert.fallbackModel)}\`` : '';
      return `:twisted_rightwards_arrows: tollgate: ${subject(alert)} exceeded — call${model} re-routed${target} (${money})`;
    }
    case 'warn':
      return `:warning: tollgate: ${subject(alert)} exceeded — call${model} allowed with a warning (${money})`;
  }
}

/** "daily budget", or "task budget for `T-1`" when the counter is not global. */
function subject(alert: ThresholdAlert | BudgetExceededAlert): string {
  const key = alert.key !== 'global' && alert.key !== '' ? ` for \`${escape(alert.key)}\`` : '';
  return `${alert.scope} budget${key}`;
}

/** Dollars with 2 decimals, or 4 when the limit is under $1 (so $0.0040 of $0.0050 stays readable). */
function usd(value: number, limit: number): string {
  const decimals = Math.abs(limit) < 1 ? 4 : 2;
  return `$${value.toFixed(decimals)}`;
}

function trimNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
