import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookSink } from '../../src/alerts/WebhookSink.js';
import { dailyThreshold, taskDenied } from './alerts.fixtures.js';
import { captureDiag } from './diagCapture.js';
import { deferred, Receiver } from './receiver.js';

let receiver: Receiver;
let diagLog: ReturnType<typeof captureDiag>;
let sinks: WebhookSink[];
let delays: number[];

/** A sink with deterministic backoff: waits are recorded, not slept. */
function sink(overrides: Partial<ConstructorParameters<typeof WebhookSink>[0]> = {}): WebhookSink {
  const s = new WebhookSink({
    url: receiver.url,
    jitter: false,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
  sinks.push(s);
  return s;
}

beforeEach(async () => {
  receiver = await Receiver.start('/hooks/secret-token');
  diagLog = captureDiag();
  sinks = [];
  delays = [];
});

afterEach(async () => {
  await Promise.all(sinks.map((s) => s.shutdown()));
  await receiver.close();
  diagLog.restore();
});

describe('WebhookSink payload', () => {
  it('POSTs the event as JSON with its kind, the service and an ISO time', async () => {
    const s = sink({ service: 'checkout', headers: { authorization: 'Bearer abc' } });
    s.send(dailyThreshold);
    s.send(taskDenied);
    await s.flush();

    expect(receiver.requests.map((r) => [r.method, r.path, r.headers['content-type'], r.headers.authorization])).toEqual([
      ['POST', '/hooks/secret-token', 'application/json', 'Bearer abc'],
      ['POST', '/hooks/secret-token', 'application/json', 'Bearer abc'],
    ]);
    expect(receiver.bodies()).toEqual([
      {
        kind: 'threshold',
        budgetId: 'daily',
        scope: 'daily',
        key: 'global',
        threshold: 0.8,
        spentUsd: 16,
        limitUsd: 20,
        time: '2026-11-23T12:00:00.000Z',
        service: 'checkout',
      },
      {
        kind: 'budget_exceeded',
        budgetId: 'task-cap',
        scope: 'task',
        key: 'T-123',
        action: 'deny',
        spentUsd: 0.4925,
        limitUsd: 0.5,
        attemptedUsd: 0.0125,
        model: 'gpt-4o',
        time: '2026-11-23T12:00:01.000Z',
        service: 'checkout',
      },
    ]);
    expect(s.stats()).toEqual({ delivered: 2, errors: 0, dropped: 0 });
  });

  it('leaves service out when none is configured', async () => {
    const s = sink();
    s.send(dailyThreshold);
    await s.flush();
    expect(receiver.bodies()[0]).not.toHaveProperty('service');
  });
});

describe('WebhookSink retries', () => {
  it('retries after a 500 and succeeds, backing off exponentially', async () => {
    receiver.reply(500, 503, 200);
    const s = sink();
    s.send(dailyThreshold);
    await s.flush();

    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect(delays).toEqual([250, 500]);
    expect(s.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
    expect(diagLog.messages).toEqual([]);
  });

  it('does not retry a 400, counts the error and logs only the origin', async () => {
    receiver.reply(400);
    const s = sink();
    s.send(dailyThreshold);
    await s.flush();

    expect(receiver.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(s.errors).toBe(1);
    expect(s.stats()).toEqual({ delivered: 0, errors: 1, dropped: 0 });
    const origin = new URL(receiver.url).origin;
    expect(diagLog.messages).toEqual([
      `warn tollgate: WebhookSink could not deliver a threshold alert to ${origin} after 1 attempt: HTTP 400`,
    ]);
    expect(diagLog.messages.join('\n')).not.toContain('secret-token');
  });

  it('retries a 429, waiting as long as Retry-After asks', async () => {
    receiver.reply({ status: 429, headers: { 'retry-after': '2' } }, 200);
    const s = sink();
    s.send(dailyThreshold);
    await s.flush();
    expect(receiver.requests).toHaveLength(2);
    expect(delays).toEqual([2000]);
    expect(s.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
  });

  it('gives up after `retries` retries', async () => {
    receiver.reply(500, 500, 500);
    const s = sink({ retries: 2, backoffMs: 100 });
    s.send(dailyThreshold);
    await s.flush();
    expect(receiver.requests).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
    expect(s.stats()).toEqual({ delivered: 0, errors: 1, dropped: 0 });
    expect(diagLog.messages).toHaveLength(1);
    expect(diagLog.messages[0]).toMatch(/after 3 attempts: HTTP 500$/);
  });

  it('retries a refused connection', async () => {
    const closed = await Receiver.start();
    const url = closed.url;
    await closed.close();
    const s = sink({ url, retries: 1 });
    s.send(dailyThreshold);
    await s.flush();
    expect(delays).toEqual([250]);
    expect(s.stats()).toEqual({ delivered: 0, errors: 1, dropped: 0 });
    expect(diagLog.messages[0]).toMatch(/after 2 attempts: fetch failed/);
  });

  it('times out an attempt that gets no answer', async () => {
    receiver.reply({ status: 200, never: true });
    const s = sink({ timeoutMs: 50, retries: 0 });
    s.send(dailyThreshold);
    await s.flush();
    expect(receiver.requests).toHaveLength(1);
    expect(s.stats()).toEqual({ delivered: 0, errors: 1, dropped: 0 });
    expect(diagLog.messages[0]).toMatch(/after 1 attempt: timed out after 50 ms$/);
  });

  it('waits out a real (default) backoff when retrying', async () => {
    receiver.reply(500, 200);
    const s = new WebhookSink({ url: receiver.url, backoffMs: 1 });
    sinks.push(s);
    s.send(dailyThreshold);
    await s.flush();
    expect(s.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
  });
});

describe('WebhookSink never blocks the call path', () => {
  it('returns from send() before any request starts; flush() waits for the answer', async () => {
    const answer = deferred();
    receiver.reply({ status: 200, holdUntil: answer.promise });
    let fetchCalls = 0;
    const s = sink({
      fetch: (input, init) => {
        fetchCalls++;
        return fetch(input, init);
      },
    });

    const returned = s.send(dailyThreshold);
    expect(returned).toBeUndefined();
    expect(fetchCalls).toBe(0); // no I/O was even started on the caller's path

    const flushed = s.flush().then(() => 'flushed');
    const request = await receiver.nextRequest(); // the receiver holds its answer
    expect(JSON.parse(request.body)).toMatchObject({ kind: 'threshold', budgetId: 'daily' });
    expect(await Promise.race([flushed, Promise.resolve('pending')])).toBe('pending');
    expect(s.stats().delivered).toBe(0);

    answer.release();
    expect(await flushed).toBe('flushed');
    expect(s.stats()).toEqual({ delivered: 1, errors: 0, dropped: 0 });
  });

  it('drops the oldest alert when the queue is full', async () => {
    const s = sink({ maxQueueSize: 2 });
    s.send({ ...dailyThreshold, threshold: 0.5 });
    s.send({ ...dailyThreshold, threshold: 0.8 });
    s.send({ ...dailyThreshold, threshold: 1 });
    await s.flush();
    expect(receiver.bodies().map((b) => (b as { threshold: number }).threshold)).toEqual([0.8, 1]);
    expect(s.stats()).toEqual({ delivered: 2, errors: 0, dropped: 1 });
    expect(diagLog.messages).toEqual([
      `warn tollgate: WebhookSink queue for ${new URL(receiver.url).origin} is full (2); dropped the oldest alert`,
    ]);
  });

  it('shutdown() flushes, is idempotent, and later alerts are dropped', async () => {
    const s = sink();
    s.send(dailyThreshold);
    const first = s.shutdown();
    expect(s.shutdown()).toBe(first);
    await first;
    expect(receiver.requests).toHaveLength(1);
    s.send(taskDenied);
    await s.flush();
    expect(receiver.requests).toHaveLength(1);
    expect(s.stats()).toEqual({ delivered: 1, errors: 0, dropped: 1 });
  });
});

describe('WebhookSink configuration', () => {
  it.each([
    [{ url: 'ftp://example.test/x' }, /WebhookSink option "url" must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/example.test\/x"/],
    [{ url: 'not a url' }, /option "url"/],
    [{ url: 'http://127.0.0.1/x', timeoutMs: 0 }, /option "timeoutMs" must be a number >= 1, got 0/],
    [{ url: 'http://127.0.0.1/x', retries: 1.5 }, /option "retries" must be an integer >= 0, got 1.5/],
    [{ url: 'http://127.0.0.1/x', backoffMs: -1 }, /option "backoffMs" must be a number >= 0/],
    [{ url: 'http://127.0.0.1/x', maxQueueSize: 0 }, /option "maxQueueSize" must be an integer >= 1/],
  ])('rejects %j', (options, message) => {
    expect(() => new WebhookSink(options)).toThrow(message);
  });
});
