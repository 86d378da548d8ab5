import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/Alert.js';
import { alertSummary } from '../../src/alerts/alertSummary.js';
import { slackPayload } from '../../src/alerts/slackPayload.js';
import { webhookPayload } from '../../src/alerts/webhookPayload.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const health: Alert = { kind: 'health_check_failed', failed: [{ check: 'store', error: 'Redis <down>' }, { check: 'pricing' }], time: T0 };
const limited: Alert = { kind: 'rate_limited', provider: 'openai', limit: 'tpm', action: 'wait', used: 190_000, max: 200_000, retryAfterMs: 4000, time: T0 };

describe('alertSummary and the payloads of the new alert kinds', () => {
  it('one plain line per kind', () => {
    expect(alertSummary(health)).toBe('tollgate: health check failed (store: Redis <down>; pricing)');
    expect(alertSummary(limited)).toBe('tollgate: openai tpm limit reached, a call waited (190000 of 200000 used)');
    expect(alertSummary({ kind: 'budget_exceeded', budgetId: 't', scope: 'task', key: 'T-1', action: 'fallback', spentUsd: 0.4, limitUsd: 0.5, attemptedUsd: 0.2, model: 'gpt-4o', fallbackModel: 'gpt-4o-mini', time: T0 })).toBe(
      'tollgate: task budget for T-1 exceeded, call gpt-4o re-routed to gpt-4o-mini (spent $0.4000 of $0.5000)',
    );
  });

  it('Slack: an escaped headline and the provider in the context line', () => {
    expect(slackPayload(health, 'checkout')).toEqual({
      text: ':rotating_light: tollgate: health check failed (store: Redis &lt;down&gt;; pricing)',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':rotating_light: tollgate: health check failed (store: Redis &lt;down&gt;; pricing)' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'service `checkout` · 2026-12-03T12:00:00.000Z' }] },
      ],
    });
    expect(slackPayload(limited).blocks?.[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'provider `openai` · 2026-12-03T12:00:00.000Z' }] });
  });

  it('webhook: the event fields with an ISO time', () => {
    expect(webhookPayload(limited, 'svc')).toEqual({ ...limited, time: '2026-12-03T12:00:00.000Z', service: 'svc' });
  });
});

describe('store alerts: a store that lost its data, a lease spent from', () => {
  const reset: Alert = { kind: 'store_reset', keyPrefix: 'tollgate:', previousEpoch: 'a1', epoch: 'b2', time: T0 };
  const lease: Alert = { kind: 'lease', bucketKey: 'cap|daily|<x>', budgetId: 'cap<1>', leaseUsd: 0.2, remainingUsd: 0.15, usableUntil: T0 + 60_000, reason: 'connection closed', time: T0 };

  it('one plain line each', () => {
    expect(alertSummary(reset)).toBe('tollgate: the store lost its data (key prefix "tollgate:", epoch a1 → b2); budgets restarted from what the running processes re-added');
    expect(alertSummary(lease)).toBe(
      `tollgate: the store cannot be reached (connection closed); budget "cap<1>" admits calls from this process' lease ($0.1500 of $0.2000 left, until 2026-12-03T12:01:00.000Z)`,
    );
  });

  it('Slack: a siren for the data loss, a warning with the budget and counter for the lease, both escaped', () => {
    expect(slackPayload(reset).text.startsWith(':rotating_light: tollgate: the store lost its data')).toBe(true);
    const leased = slackPayload(lease);
    expect(leased.text).toBe(
      `:warning: tollgate: the store cannot be reached (connection closed); budget "cap&lt;1&gt;" admits calls from this process' lease ($0.1500 of $0.2000 left, until 2026-12-03T12:01:00.000Z)`,
    );
    expect(leased.blocks?.[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'budget `cap&lt;1&gt;` · counter `cap|daily|&lt;x&gt;` · 2026-12-03T12:00:00.000Z' }] });
  });

  it('webhook: the event fields with an ISO time', () => {
    expect(webhookPayload(reset, 'svc')).toEqual({ kind: 'store_reset', keyPrefix: 'tollgate:', previousEpoch: 'a1', epoch: 'b2', time: '2026-12-03T12:00:00.000Z', service: 'svc' });
  });
});
