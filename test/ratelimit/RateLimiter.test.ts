import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/ratelimit/RateLimiter.js';
import type { RateLimiterOptions } from '../../src/ratelimit/RateLimiter.js';
import { RateLimitError } from '../../src/ratelimit/RateLimitError.js';
import { FakeTime, settled, track } from './fakeTime.js';

function limiter(limits: RateLimiterOptions['limits'], time: FakeTime): RateLimiter {
  return new RateLimiter({ limits, clock: time.clock, sleep: time.sleep });
}

async function rejection(promise: Promise<unknown>): Promise<RateLimitError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RateLimitError);
  return err as RateLimitError;
}

describe('RateLimiter sliding window', () => {
  it('frees a request made at t=0 exactly at t=60000', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 2, onLimit: 'reject' } }, time);

    await rl.acquire('openai', 0);
    time.now = 1_000;
    await rl.acquire('openai', 0);

    time.now = 59_999;
    const early = await rejection(rl.acquire('openai', 0));
    expect(early.toJSON()).toEqual({
      name: 'RateLimitError',
      message: 'tollgate: openai rate limit reached: 2 of 2 requests per minute used; retry in 1 ms',
      provider: 'openai',
      kind: 'rpm',
      reason: 'limit',
      used: 2,
      limit: 2,
      requestedTokens: 0,
      retryAfterMs: 1,
    });

    time.now = 60_000;
    await rl.acquire('openai', 0); // the t=0 request has left the window
    const next = await rejection(rl.acquire('openai', 0));
    expect(next.retryAfterMs).toBe(1_000); // the t=1000 request leaves at 61000
  });

  it('limits tokens per minute separately from requests', async () => {
    const time = new FakeTime();
    const rl = limiter({ anthropic: { tpm: 1_000, onLimit: 'reject' } }, time);

    await rl.acquire('anthropic', 600);
    time.now = 10;
    await rl.acquire('anthropic', 400); // exactly at the limit is allowed
    time.now = 20;
    const err = await rejection(rl.acquire('anthropic', 1));
    expect(err.message).toBe(
      'tollgate: anthropic rate limit reached: 1000 of 1000 tokens per minute used, this call needs 1; retry in 59980 ms',
    );
    expect([err.kind, err.used, err.limit, err.retryAfterMs]).toEqual(['tpm', 1_000, 1_000, 59_980]);

    // 300 tokens fit once the 600-token entry (t=0) has left, at t=60000
    time.now = 60_000;
    await rl.acquire('anthropic', 300);
    expect(rl.status()).toEqual([
      { provider: 'anthropic', rpm: { used: 2, limit: null }, tpm: { used: 700, limit: 1_000 }, resetAt: 60_010, waiting: 0 },
    ]);
  });

  it('reports the limit that frees last when both are hit', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, tpm: 100, onLimit: 'reject' } }, time);
    await rl.acquire('openai', 10); // rpm full until 60000
    time.now = 30_000;
    rl.record('openai', 90); // 20 more tokens fit only once this leaves, at 90000
    const err = await rejection(rl.acquire('openai', 20));
    expect([err.kind, err.retryAfterMs]).toEqual(['tpm', 60_000]);
  });

  it('refuses a call that needs more tokens than the limit, even when waiting', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { tpm: 1_000 } }, time);
    const err = await rejection(rl.acquire('openai', 1_001));
    expect(err.message).toBe(
      'tollgate: openai call needs 1001 tokens, more than the limit of 1000 tokens per minute; it can never be admitted (raise the tpm limit or split the call)',
    );
    expect([err.reason, err.retryAfterMs, err.toJSON().retryAfterMs]).toEqual(['too_large', Number.POSITIVE_INFINITY, null]);
  });
});

describe('RateLimiter waiting', () => {
  it('waits until the window frees, then proceeds', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, maxWaitMs: 60_000 } }, time);
    await rl.acquire('openai', 0);

    time.now = 10_000;
    const second = track(rl.acquire('openai', 0));
    await settled();
    expect(second.state()).toBe('pending');
    expect(time.sleeps).toEqual([50_000]);
    expect(rl.status()[0]?.waiting).toBe(1);

    await time.advanceTo(59_999);
    expect(second.state()).toBe('pending');
    await time.advanceTo(60_000);
    expect(second.state()).toBe('resolved');
    expect(rl.status()).toEqual([
      { provider: 'openai', rpm: { used: 1, limit: 1 }, tpm: { used: 0, limit: null }, resetAt: 120_000, waiting: 0 },
    ]);
  });

  it('serves waiters in arrival order', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, maxWaitMs: 600_000 } }, time);
    await rl.acquire('openai', 0);
    const order: string[] = [];
    const waits = ['a', 'b', 'c'].map((name) => rl.acquire('openai', 0).then(() => order.push(name)));
    await time.advanceTo(60_000);
    expect(order).toEqual(['a']);
    await time.advanceTo(120_000);
    expect(order).toEqual(['a', 'b']);
    await time.advanceTo(180_000);
    await Promise.all(waits);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('rejects at once when the wait would exceed maxWaitMs', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, maxWaitMs: 30_000 } }, time);
    await rl.acquire('openai', 0);
    time.now = 10_000;
    const err = await rejection(rl.acquire('openai', 0));
    expect(err.message).toBe(
      'tollgate: openai rate limit reached: 1 of 1 requests per minute used; waiting for room would take 50000 ms, more than maxWaitMs 30000',
    );
    expect([err.reason, err.retryAfterMs, err.maxWaitMs]).toEqual(['max_wait', 50_000, 30_000]);
    expect(time.sleeps).toEqual([]);
  });

  it('rejects a queued call whose turn would come after its max wait', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, maxWaitMs: 60_000 } }, time);
    await rl.acquire('openai', 0);
    const first = track(rl.acquire('openai', 0)); // admitted at 60000
    time.now = 30_000;
    const second = track(rl.acquire('openai', 0)); // its turn: 120000 > 30000 + 60000
    await time.advanceTo(60_000);
    expect(first.state()).toBe('resolved');
    expect(second.state()).toBe('rejected');
    expect((second.error() as RateLimitError).toJSON()).toMatchObject({ reason: 'max_wait', retryAfterMs: 60_000, maxWaitMs: 60_000 });
  });

  it('lets a waiter through as soon as settle() gives tokens back', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { tpm: 1_000, maxWaitMs: 60_000 } }, time);
    await rl.acquire('openai', 1_000);
    time.now = 1_000;
    const waiter = track(rl.acquire('openai', 500));
    await settled();
    expect(waiter.state()).toBe('pending');

    rl.settle('openai', 1_000, 300); // the first call used only 300
    await settled();
    expect(waiter.state()).toBe('resolved');
    expect(rl.status()[0]?.tpm).toEqual({ used: 800, limit: 1_000 });
  });

  it('wakes with the default timer', async () => {
    let offset = -59_990;
    const rl = new RateLimiter({ limits: { openai: { rpm: 1 } }, clock: () => Date.now() + offset });
    await rl.acquire('openai', 0); // recorded ~59.99 s "ago" once the offset is removed
    offset = 0;
    await rl.acquire('openai', 0); // resolves when a real (unref'd) timer fires ~10 ms later
    expect(rl.status()[0]?.rpm).toEqual({ used: 1, limit: 1 });
  });

  it('shutdown() rejects waiters and later calls, once', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1, maxWaitMs: 60_000 } }, time);
    await rl.acquire('openai', 0);
    const waiter = track(rl.acquire('openai', 0));
    await rl.shutdown();
    await rl.shutdown();
    await settled();
    expect(waiter.state()).toBe('rejected');
    expect((waiter.error() as Error).message).toBe('tollgate: the rate limiter was shut down');
    await expect(rl.acquire('openai', 0)).rejects.toThrow('tollgate: the rate limiter was shut down');
  });
});

describe('RateLimiter accounting', () => {
  it('record() adds tokens without counting a request; settle() corrects an estimate upwards', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 10, tpm: 10_000 } }, time);
    await rl.acquire('openai', 0);
    time.now = 500;
    rl.record('openai', 800);
    await rl.acquire('openai', 100);
    time.now = 700;
    rl.settle('openai', 100, 250);
    expect(rl.status()).toEqual([
      { provider: 'openai', rpm: { used: 2, limit: 10 }, tpm: { used: 1_050, limit: 10_000 }, resetAt: 60_000, waiting: 0 },
    ]);
  });

  it('lists configured providers in order; unknown providers are unlimited and not listed', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 1 }, anthropic: { tpm: 5, onLimit: 'reject' } }, time);
    for (let i = 0; i < 100; i++) await rl.acquire('ollama', 1_000_000);
    rl.record('ollama', 5);
    expect(rl.status()).toEqual([
      { provider: 'openai', rpm: { used: 0, limit: 1 }, tpm: { used: 0, limit: null }, resetAt: null, waiting: 0 },
      { provider: 'anthropic', rpm: { used: 0, limit: null }, tpm: { used: 0, limit: 5 }, resetAt: null, waiting: 0 },
    ]);
  });

  it('empties the window after 60 s', async () => {
    const time = new FakeTime();
    const rl = limiter({ openai: { rpm: 5, tpm: 100 } }, time);
    await rl.acquire('openai', 40);
    time.now = 60_000;
    expect(rl.status()[0]).toEqual({
      provider: 'openai',
      rpm: { used: 0, limit: 5 },
      tpm: { used: 0, limit: 100 },
      resetAt: null,
      waiting: 0,
    });
  });
});

describe('RateLimiter configuration', () => {
  it.each([
    [{ openai: { rpm: 0 } }, 'tollgate: rate limit "limits.openai.rpm" must be a whole number >= 1, got 0; leave it out for no limit'],
    [{ openai: { tpm: 1.5 } }, 'tollgate: rate limit "limits.openai.tpm" must be a whole number >= 1, got 1.5'],
    [{ openai: { rpm: 1, onLimit: 'drop' } }, 'tollgate: rate limit "limits.openai.onLimit" must be "wait" or "reject", got "drop"'],
    [{ openai: { rpm: 1, maxWaitMs: -1 } }, 'tollgate: rate limit "limits.openai.maxWaitMs" must be a number of milliseconds >= 0, got -1'],
  ])('rejects %j', (limits, message) => {
    expect(() => new RateLimiter({ limits: limits as RateLimiterOptions['limits'] })).toThrow(message);
  });
});
