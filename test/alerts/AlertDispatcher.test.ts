import { afterEach, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/alerts/AlertDispatcher.js';
import type { Alert } from '../../src/alerts/Alert.js';
import type { AlertSink } from '../../src/alerts/AlertSink.js';
import { InMemoryAlertSink } from '../../src/alerts/InMemoryAlertSink.js';
import { WebhookSink } from '../../src/alerts/WebhookSink.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { BudgetExceededEvent, ThresholdEvent } from '../../src/events/TollgateEvents.js';
import { T0 } from './alerts.fixtures.js';
import { captureDiag } from './diagCapture.js';
import { deferred, Receiver } from './receiver.js';

const threshold: ThresholdEvent = {
  budgetId: 'daily',
  scope: 'daily',
  key: 'global',
  threshold: 0.8,
  spentUsd: 16,
  limitUsd: 20,
  time: T0,
};

const denied: BudgetExceededEvent = {
  budgetId: 'daily',
  scope: 'daily',
  key: 'global',
  action: 'deny',
  spentUsd: 20,
  limitUsd: 20,
  attemptedUsd: 0.01,
  model: 'gpt-4o',
  time: T0,
};

let dispatchers: AlertDispatcher[] = [];
function dispatcher(...args: ConstructorParameters<typeof AlertDispatcher>): AlertDispatcher {
  const d = new AlertDispatcher(...args);
  dispatchers.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dispatchers.map((d) => d.shutdown()));
  dispatchers = [];
});

describe('AlertDispatcher routing', () => {
  it('sends each kind to the sinks configured for it', () => {
    const bus = new EventBus();
    const all = new InMemoryAlertSink();
    const thresholdsOnly = new InMemoryAlertSink();
    dispatcher(bus, { routes: [{ sink: all }, { sink: thresholdsOnly, events: ['threshold'] }] });

    bus.emit('threshold', threshold);
    bus.emit('budget_exceeded', denied);
    bus.emit('usage', { record: {} as never, costUsd: 1 });

    expect(all.getAlerts()).toEqual([
      { kind: 'threshold', ...threshold },
      { kind: 'budget_exceeded', ...denied },
    ]);
    expect(thresholdsOnly.getAlerts()).toEqual([{ kind: 'threshold', ...threshold }]);
  });

  it('store_reset goes to sinks by default; lease only to the sinks that name it', () => {
    const bus = new EventBus();
    const all = new InMemoryAlertSink();
    const leases = new InMemoryAlertSink();
    dispatcher(bus, { routes: [{ sink: all }, { sink: leases, events: ['lease'] }] });
    const reset = { keyPrefix: 'tollgate:', previousEpoch: 'a', epoch: 'b', time: 1 };
    const lease = { bucketKey: 'k', budgetId: 'cap', leaseUsd: 0.2, remainingUsd: 0.2, usableUntil: 2, reason: 'down', time: 1 };
    bus.emit('store_reset', reset);
    bus.emit('lease', lease);
    expect(all.getAlerts()).toEqual([{ kind: 'store_reset', ...reset }]);
    expect(leases.getAlerts()).toEqual([{ kind: 'lease', ...lease }]);
  });

  it('keeps delivering to other sinks when one throws', () => {
    const bus = new EventBus();
    const diagLog = captureDiag();
    const broken: AlertSink = {
      send: () => {
        throw new Error('boom');
      },
      flush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const good = new InMemoryAlertSink();
    dispatcher(bus, { routes: [{ sink: broken }, { sink: good }] });
    bus.emit('threshold', threshold);
    expect(good.getAlerts()).toHaveLength(1);
    expect(diagLog.messages).toEqual(['error tollgate: an alert sink threw from send() boom']);
    diagLog.restore();
  });

  it('shutdown() unsubscribes from the bus and shuts the sinks down, once', async () => {
    const bus = new EventBus();
    const sink = new InMemoryAlertSink();
    const d = dispatcher(bus, { routes: [{ sink }] });
    expect(bus.listenerCount('threshold')).toBe(1);
    const first = d.shutdown();
    expect(d.shutdown()).toBe(first);
    await first;
    expect(bus.listenerCount('threshold')).toBe(0);
    expect(bus.listenerCount('budget_exceeded')).toBe(0);
    sink.send({ kind: 'threshold', ...threshold });
    expect(sink.getAlerts()).toEqual([]);
  });

  it('rejects an unknown event kind naming the route', () => {
    expect(() => new AlertDispatcher(new EventBus(), { routes: [{ sink: new InMemoryAlertSink(), events: ['usage' as never] }] })).toThrow(
      'tollgate: AlertDispatcher option "routes[0].events" has unknown kind "usage"; use "threshold" or "budget_exceeded"',
    );
  });
});

describe('AlertDispatcher never adds duplicates', () => {
  it('sends the same threshold event once even when it is emitted twice', () => {
    const bus = new EventBus();
    const sink = new InMemoryAlertSink();
    const d = dispatcher(bus, { routes: [{ sink }] });

    bus.emit('threshold', threshold);
    bus.emit('threshold', threshold); // the same object again
    bus.emit('threshold', { ...threshold }); // identical fields, new object

    expect(sink.getAlerts()).toHaveLength(1);
    expect(d.stats()).toEqual({ dispatched: 1, duplicates: 2, suppressed: 0 });
  });

  it('sends the next window’s crossing of the same threshold', () => {
    const bus = new EventBus();
    const sink = new InMemoryAlertSink();
    dispatcher(bus, { routes: [{ sink }] });
    const nextDay = { ...threshold, time: T0 + 86_400_000 };
    bus.emit('threshold', threshold);
    bus.emit('threshold', { ...threshold, threshold: 1, spentUsd: 20 });
    bus.emit('threshold', nextDay);
    expect(sink.getAlerts().map((a: Alert) => [a.time, (a as { threshold: number }).threshold])).toEqual([
      [T0, 0.8],
      [T0, 1],
      [T0 + 86_400_000, 0.8],
    ]);
  });

  it('sends a repeated budget_exceeded at most once per repeatExceededAfterMs (on event time)', () => {
    const bus = new EventBus();
    const sink = new InMemoryAlertSink();
    const d = dispatcher(bus, { routes: [{ sink }], repeatExceededAfterMs: 60_000 });

    bus.emit('budget_exceeded', denied);
    bus.emit('budget_exceeded', { ...denied, time: T0 + 1_000, spentUsd: 20.001 });
    bus.emit('budget_exceeded', { ...denied, key: 'T-2', scope: 'task', time: T0 + 2_000 });
    bus.emit('budget_exceeded', { ...denied, time: T0 + 59_999 });
    bus.emit('budget_exceeded', { ...denied, time: T0 + 60_000 });

    expect(sink.getAlerts().map((a) => [a.kind === 'budget_exceeded' ? a.key : a.kind, a.time - T0])).toEqual([
      ['global', 0],
      ['T-2', 2_000],
      ['global', 60_000],
    ]);
    expect(d.stats()).toEqual({ dispatched: 3, duplicates: 0, suppressed: 2 });
  });

  it('sends every budget_exceeded when repeatExceededAfterMs is 0 (exact duplicates still dropped)', () => {
    const bus = new EventBus();
    const sink = new InMemoryAlertSink();
    dispatcher(bus, { routes: [{ sink }], repeatExceededAfterMs: 0 });
    bus.emit('budget_exceeded', denied);
    bus.emit('budget_exceeded', denied);
    bus.emit('budget_exceeded', { ...denied, time: T0 + 1 });
    expect(sink.getAlerts()).toHaveLength(2);
  });
});

describe('AlertDispatcher with an HTTP sink', () => {
  it('adds no delay to the emitter: emit() returns before any request is made', async () => {
    const receiver = await Receiver.start();
    const answer = deferred();
    receiver.reply({ status: 200, holdUntil: answer.promise });
    const bus = new EventBus();
    const d = dispatcher(bus, { routes: [{ sink: new WebhookSink({ url: receiver.url }) }] });

    bus.emit('threshold', threshold);
    expect(receiver.requests).toHaveLength(0);

    const flushed = d.flush().then(() => 'flushed');
    await receiver.nextRequest();
    expect(await Promise.race([flushed, Promise.resolve('pending')])).toBe('pending');
    answer.release();
    expect(await flushed).toBe('flushed');
    expect(receiver.bodies()).toEqual([{ kind: 'threshold', ...threshold, time: '2026-11-23T12:00:00.000Z' }]);
    await receiver.close();
  });
});
