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
