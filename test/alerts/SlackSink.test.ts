import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackSink } from '../../src/alerts/SlackSink.js';
import { slackPayload } from '../../src/alerts/slackPayload.js';
import { dailyThreshold, taskDenied, taskFallback } from './alerts.fixtures.js';
import { Receiver } from './receiver.js';

describe('slackPayload', () => {
  it('renders a threshold as a readable message with a context line', () => {
    expect(slackPayload(dailyThreshold, 'checkout')).toEqual({
      text: ':warning: tollgate: daily budget 80% used — $16.00 of $20.00',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':warning: tollgate: daily budget 80% used — $16.00 of $20.00' } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'budget `daily` · key `global` · service `checkout` · 2026-11-23T12:00:00.000Z' }],
        },
      ],
    });
  });

  it('marks a 100% threshold and names a non-global key', () => {
    expect(slackPayload({ ...dailyThreshold, scope: 'task', key: 'T-9', threshold: 1, spentUsd: 20.004 }).text).toBe(
      ':rotating_light: tollgate: task budget for `T-9` 100% used — $20.00 of $20.00',
    );
  });

  it('uses 4 decimals for budgets under a dollar', () => {
    expect(slackPayload({ ...dailyThreshold, threshold: 0.5, spentUsd: 0.0025, limitUsd: 0.005 }).text).toBe(
      ':warning: tollgate: daily budget 50% used — $0.0025 of $0.0050',
    );
  });

  it('says what happened to the call for each action', () => {
    expect(slackPayload(taskDenied).text).toBe(
      ':no_entry: tollgate: task budget for `T-123` exceeded — call `gpt-4o` denied (spent $0.4925 of $0.5000, call needed $0.0125)',
    );
    expect(slackPayload(taskFallback).text).toBe(
      ':twisted_rightwards_arrows: tollgate: task budget for `T-123` exceeded — call `gpt-4o` re-routed to `gpt-4o-mini` (spent $0.4925 of $0.5000, call needed $0.0125)',
    );
    expect(slackPayload({ ...taskDenied, action: 'warn', model: undefined }).text).toBe(
      ':warning: tollgate: task budget for `T-123` exceeded — call allowed with a warning (spent $0.4925 of $0.5000, call needed $0.0125)',
    );
  });

  it('escapes host-provided ids for mrkdwn', () => {
    const payload = slackPayload({ ...taskDenied, key: '<@U123>&co', model: undefined });
    expect(payload.text).toContain('for `&lt;@U123&gt;&amp;co`');
    expect(payload.blocks?.[1]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'budget `task-cap` · key `&lt;@U123&gt;&amp;co` · 2026-11-23T12:00:01.000Z' }],
    });
  });
});

describe('SlackSink', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start('/services/T000/B000/XXXX');
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('POSTs the Slack incoming-webhook body', async () => {
    const sink = new SlackSink({ url: receiver.url, service: 'checkout' });
    sink.send(dailyThreshold);
    await sink.shutdown();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.bodies()).toEqual([slackPayload(dailyThreshold, 'checkout')]);
    expect(sink.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
  });

  it('retries after a 500 like every HTTP sink', async () => {
    receiver.reply(500);
    const delays: number[] = [];
    const sink = new SlackSink({
      url: receiver.url,
      jitter: false,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    sink.send(taskDenied);
    await sink.shutdown();
    expect(receiver.requests).toHaveLength(2);
    expect(delays).toEqual([250]);
    expect(sink.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
  });
});
