import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/alerts/AlertDispatcher.js';
import { createAlertSinks } from '../../src/alerts/createAlertSinks.js';
import { slackPayload } from '../../src/alerts/slackPayload.js';
import { SlackSink } from '../../src/alerts/SlackSink.js';
import { WebhookSink } from '../../src/alerts/WebhookSink.js';
import { EventBus } from '../../src/events/EventBus.js';
import { dailyThreshold, taskDenied } from './alerts.fixtures.js';
import { Receiver } from './receiver.js';

describe('createAlertSinks', () => {
  let slack: Receiver;
  let hook: Receiver;
  beforeEach(async () => {
    slack = await Receiver.start('/slack');
    hook = await Receiver.start('/hook');
  });
  afterEach(async () => {
    await slack.close();
    await hook.close();
  });

  it('builds one route per entry, with the configured kinds', async () => {
    const routes = createAlertSinks(
      [
        { type: 'slack', url: slack.url, events: ['threshold'] },
        { type: 'webhook', url: hook.url, headers: { 'x-team': 'infra' }, retries: 0, timeoutMs: 1000 },
      ],
      { service: 'checkout' },
    );
    expect(routes.map((r) => [r.sink instanceof SlackSink, r.sink instanceof WebhookSink, r.events])).toEqual([
      [true, false, ['threshold']],
      [false, true, ['threshold', 'budget_exceeded', 'health_check_failed', 'store_reset']],
    ]);

    const bus = new EventBus();
    const dispatcher = new AlertDispatcher(bus, { routes });
    const { kind: _t, ...thresholdEvent } = dailyThreshold;
    const { kind: _b, ...deniedEvent } = taskDenied;
    bus.emit('threshold', thresholdEvent);
    bus.emit('budget_exceeded', deniedEvent);
    await dispatcher.shutdown();

    expect(slack.bodies()).toEqual([slackPayload(dailyThreshold, 'checkout')]);
    expect(hook.bodies().map((b) => (b as { kind: string }).kind)).toEqual(['threshold', 'budget_exceeded']);
    expect(hook.requests[0]?.headers['x-team']).toBe('infra');
  });

  it.each([
    [[{ type: 'pager', url: 'http://127.0.0.1/x' }], 'tollgate: alerts[0].type must be "slack", "webhook" or "email", got "pager"'],
    [[{ type: 'email', url: 'http://127.0.0.1/x', from: 'a@example.com', to: ['b@example.com'] }], 'tollgate: alerts[0].url must be an smtp:// or smtps:// URL'],
    [[{ type: 'email', url: 'smtp://127.0.0.1:25', from: 'a@example.com' }], 'tollgate: alerts[0].to must be a non-empty list of email addresses'],
    [[{ type: 'slack', url: 'http://127.0.0.1/x' }, { type: 'webhook', url: 'hook' }], 'tollgate: alerts[1].url must be an http:// or https:// URL, got "hook"'],
    [[{ type: 'webhook', url: 'http://127.0.0.1/x', retries: -1 }], 'tollgate: alerts[0].retries must be an integer >= 0, got -1'],
    [[{ type: 'webhook', url: 'http://127.0.0.1/x', events: ['usage'] }], 'tollgate: alerts[0].events has unknown kind "usage"'],
    [[{ type: 'webhook', url: 'http://127.0.0.1/x', events: [] }], 'tollgate: alerts[0].events must be a non-empty list'],
  ])('names the bad field: %j', (config, message) => {
    expect(() => createAlertSinks(config as never)).toThrow(message);
  });
});
