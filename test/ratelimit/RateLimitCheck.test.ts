import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { RateLimitedEvent } from '../../src/events/TollgateEvents.js';
import { RateLimiter } from '../../src/ratelimit/RateLimiter.js';
import type { RateLimitedInfo } from '../../src/ratelimit/RateLimitCheck.js';
import { RateLimitError } from '../../src/ratelimit/RateLimitError.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/index.js';
import { makeTestTollgate, type TestTollgate } from '../helpers/otel.js';
import { startSmtpReceiver } from '../helpers/smtpReceiver.js';

describe('RateLimiter.tryAcquire: an answer without waiting', () => {
  it('counts a call that fits and answers no (counting nothing) when it does not, with the time until there is room', async () => {
    let now = 1_000_000;
    const limited: RateLimitedInfo[] = [];
    const limiter = new RateLimiter({ limits: { openai: { rpm: 2, tpm: 100 } }, clock: () => now, onLimited: (i) => limited.push(i) });
    expect(limiter.tryAcquire('openai', 10)).toEqual({ allowed: true, provider: 'openai', retryAfterMs: 0 });
    now += 10_000;
    expect(limiter.tryAcquire('openai', 10)).toEqual({ allowed: true, provider: 'openai', retryAfterMs: 0 });
    now += 5_000;
    expect(limiter.tryAcquire('openai', 10)).toEqual({ allowed: false, provider: 'openai', limit: 'rpm', used: 2, max: 2, retryAfterMs: 45_000 });
    expect(limiter.status()[0]).toMatchObject({ rpm: { used: 2, limit: 2 }, tpm: { used: 20, limit: 100 } });
    expect(limited).toEqual([{ provider: 'openai', limit: 'rpm', action: 'check', used: 2, max: 2, retryAfterMs: 45_000 }]);
    // A call larger than the token limit will never fit.
    expect(limiter.tryAcquire('openai', 500)).toMatchObject({ allowed: false, limit: 'tpm', retryAfterMs: Number.POSITIVE_INFINITY });
    now += 45_000;
    expect(limiter.tryAcquire('openai', 10).allowed).toBe(true);
    expect(limiter.tryAcquire('anthropic', 1_000_000)).toEqual({ allowed: true, provider: 'anthropic', retryAfterMs: 0 });
    await limiter.shutdown();
    expect(limiter.tryAcquire('openai').allowed).toBe(false);
  });

  it('never overtakes calls queued by acquire, and reports the wait', async () => {
    let now = 0;
    const limited: RateLimitedInfo[] = [];
    const limiter = new RateLimiter({ limits: { openai: { rpm: 1, maxWaitMs: 120_000 } }, clock: () => now, sleep: () => new Promise<void>(() => undefined), onLimited: (i) => limited.push(i) });
    await limiter.acquire('openai', 0);
    const queued = limiter.acquire('openai', 0);
    expect(limited.map((l) => l.action)).toEqual(['wait']);
    now = 60_000; // the window has room again, but the queued call is first
    expect(limiter.tryAcquire('openai').allowed).toBe(false);
    await limiter.shutdown();
    await expect(queued).rejects.toThrow(/shut down/);
  });
});

describe('tollgate.checkRateLimit and the rate_limited event', () => {
  let fake: FakeOpenAI;
  let t: TestTollgate | undefined;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
  });

  it('answers at once, shares the window with instrumented calls, and emits rate_limited (also when a call is refused)', async () => {
    t = makeTestTollgate({ rateLimits: { openai: { rpm: 2, onLimit: 'reject' } } });
    const events: RateLimitedEvent[] = [];
    t.tollgate.on('rate_limited', (e) => events.push(e));
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t.tollgate);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(t.tollgate.checkRateLimit('openai')).toMatchObject({ allowed: true });
    const no = t.tollgate.checkRateLimit('openai');
    expect(no).toMatchObject({ allowed: false, limit: 'rpm', used: 2, max: 2 });
    expect(no.retryAfterMs).toBeGreaterThan(0);
    await expect(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(RateLimitError);
    expect(events.map((e) => [e.provider, e.limit, e.action])).toEqual([
      ['openai', 'rpm', 'check'],
      ['openai', 'rpm', 'reject'],
    ]);
    expect(t.tollgate.checkRateLimit('anthropic')).toEqual({ allowed: true, provider: 'anthropic', retryAfterMs: 0 });
  });

  it('a rate_limited alert is sent only to sinks that ask for it', async () => {
    const smtp = await startSmtpReceiver();
    try {
      t = makeTestTollgate({
        rateLimits: { openai: { rpm: 1 } },
        alerts: [{ type: 'email', url: smtp.url, from: 'tollgate@example.com', to: ['ops@example.com'], events: ['rate_limited'] }],
      });
      expect(t.tollgate.checkRateLimit('openai').allowed).toBe(true);
      expect(t.tollgate.checkRateLimit('openai').allowed).toBe(false);
      const mail = await smtp.waitForMail(1);
      expect(mail.subject).toBe('tollgate: openai rpm limit reached, checkRateLimit answered no (1 of 1 used)');
    } finally {
      await t?.shutdown();
      t = undefined;
      await smtp.close();
    }
  });
});
