import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { instrumentAnthropic } from '../../instrumentations/anthropic/index.js';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { BudgetScope, BudgetSpec } from '../../src/core/Budget.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import type { ReservationShortfallEvent } from '../../src/events/TollgateEvents.js';
import { startFakeAnthropic, startFakeOpenAI } from '../fakes/index.js';
import type { FakeAnthropic, FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';

// The caps a runaway agent meets, enforced by the call driver alone: no span processor is
// registered on any tracer provider in this file (the global provider is the API's no-op one).

const SCOPES: BudgetScope[] = ['request', 'task', 'session', 'agent', 'daily', 'total'];
// gpt-4o: $2.50 / $10 per 1M tokens; claude-sonnet-4-5: $3 / $15.
const OUTPUT_NANOS = { openai: 10_000, anthropic: 15_000 } as const;

const open: Tollgate[] = [];
const servers: (FakeOpenAI | FakeAnthropic)[] = [];
beforeAll(() => ensureContextManager());
afterEach(async () => {
  for (const t of open.splice(0)) await t.shutdown();
  for (const s of servers.splice(0)) await s.close();
  vi.restoreAllMocks();
});

/** A fake provider for one test, replying with `shape` to every request. */
async function openaiFake(shape: Parameters<typeof startFakeOpenAI>[0] = {}): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI(shape);
  servers.push(fake);
  return fake;
}
async function anthropicFake(shape: Parameters<typeof startFakeAnthropic>[0] = {}): Promise<FakeAnthropic> {
  const fake = await startFakeAnthropic(shape);
  servers.push(fake);
  return fake;
}

function tollgateWith(budgets: BudgetSpec[], extra: Parameters<typeof createTollgate>[0] = {}): Tollgate {
  const t = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false, quiet: true, budgets, ...extra });
  open.push(t);
  return t;
}

/** Runs `fn` under the attribution a scope needs (a task, session or agent id), else as it is. */
function within<R>(t: Tollgate, scope: BudgetScope, fn: () => Promise<R>): Promise<R> {
  if (scope === 'task') return t.task('T-1', fn);
  if (scope === 'session') return t.session('S-1', fn);
  if (scope === 'agent') return t.agent('planner', fn);
  return fn();
}

/** Sends `n` calls one after another; counts those admitted and those refused. */
async function runaway(n: number, call: () => Promise<unknown>): Promise<{ admitted: number; denied: number }> {
  let admitted = 0;
  let denied = 0;
  for (let i = 0; i < n; i++) {
    try {
      await call();
      admitted++;
    } catch (err: unknown) {
      if (!(err instanceof BudgetExceededError)) throw err;
      // A stream cut at its reservation was admitted (and charged); a refusal before sending was not.
      if (err.message.includes('cut off')) admitted++;
      else denied++;
    }
  }
  return { admitted, denied };
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of stream) void chunk;
}

async function settledCosts(t: Tollgate): Promise<number[]> {
  await t.forceFlush();
  const records = await t.ledger.records({ limit: 1000 });
  return records.filter((r) => r.status !== 'denied').map((r) => r.costNanos);
}

describe('every cap holds on the call driver, with the real clients (no span processor registered)', () => {
  const CAP_USD = 0.002;
  for (const provider of ['openai', 'anthropic'] as const) {
    for (const stream of [false, true]) {
      for (const scope of SCOPES) {
        // Streams meet a provider that ignores the output limit: cut within one chunk of the reservation.
        const ignoreLimit = stream;
        it(`${provider} ${stream ? 'streamed (provider ignores the limit)' : 'plain'} against a ${scope} deny cap`, async () => {
          const t = tollgateWith([{ scope, maxUsd: CAP_USD }]);
          const chunk = OUTPUT_NANOS[provider];
          let call: () => Promise<unknown>;
          if (provider === 'openai') {
            const fake = await openaiFake({ outputTokens: 400, ignoreMaxTokens: ignoreLimit });
            const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t);
            call = async () => {
              const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'plan the next step' }] };
              if (!stream) return client.chat.completions.create(body);
              return drain(await client.chat.completions.create({ ...body, stream: true }));
            };
          } else {
            const fake = await anthropicFake({ outputTokens: 400, ignoreMaxTokens: ignoreLimit });
            const client = instrumentAnthropic(new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t);
            call = async () => {
              const body = { model: 'claude-sonnet-4-5', max_tokens: 40, messages: [{ role: 'user' as const, content: 'plan the next step' }] };
              if (!stream) return client.messages.create(body);
              return drain(await client.messages.create({ ...body, stream: true }));
            };
          }
          const { admitted, denied } = await runaway(12, () => within(t, scope, call));
          const costs = await settledCosts(t);
          const capNanos = CAP_USD * 1e9;
          expect(admitted).toBeGreaterThan(0);
          if (scope === 'request') {
            // Each call on its own: never more than the cap (plus the one chunk that crossed it).
            for (const c of costs) expect(c).toBeLessThanOrEqual(capNanos + (ignoreLimit ? chunk : 0));
          } else {
            expect(denied).toBeGreaterThan(0);
            const total = costs.reduce((a, b) => a + b, 0);
            expect(total).toBeLessThanOrEqual(capNanos + (ignoreLimit ? admitted * chunk : 0));
          }
        });
      }
    }
  }
});

describe('the six paths that used to fail open', () => {
  it('no processor registered: createTollgate + instrumentOpenAI alone deny, and usage() is not empty', async () => {
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.001 }]);
    const fakeOpenAI = await openaiFake({ outputTokens: 60 });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    const before = fakeOpenAI.requests.length;
    const { admitted, denied } = await runaway(10, () => client.chat.completions.create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'go' }] }));
    expect(admitted).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
    expect(fakeOpenAI.requests.length - before).toBe(admitted);
    const [row] = await t.usage({ by: 'provider', where: { status: 'ok' } });
    expect(row?.calls).toBe(admitted);
    expect(row!.costNanos).toBeLessThanOrEqual(1_000_000);
    // Without an SDK the spans carry no id: each call gets one of its own (newCallId), as a span id looks.
    const records = await t.ledger.records({ limit: 100 });
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    for (const r of records) {
      expect(r.id).toMatch(/^[0-9a-f]{16}$/);
      expect(r.spanId).toBeUndefined();
    }
    // tollgate.llm() too.
    await expect(t.llm({ model: 'gpt-4o', maxTokens: 1000, inputTokens: 10 }, () => 'never')).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('a misspelt model under a deny cap is reserved and charged at the ceiling price, loudly; never $0', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.5 }], { quiet: false });
    const fakeOpenAI = await openaiFake({ outputTokens: 60 });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    const { admitted, denied } = await runaway(20, () => client.chat.completions.create({ model: 'gtp-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }));
    expect(admitted).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
    const costs = await settledCosts(t);
    expect(Math.min(...costs)).toBeGreaterThan(0);
    expect(costs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(500_000_000);
    const warned = lines.filter((l) => l.includes('[unpriced_model]') && l.includes('gtp-4o'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('ceiling');
    const charged = (await t.ledger.records({ limit: 100 })).filter((r) => r.status === 'ok');
    expect(charged.map((r) => r.metadata?.['costSource'])).toEqual(charged.map(() => 'ceiling'));
  });

  it("pricing.unpricedUnderCap 'deny' refuses a misspelt model before anything is sent", async () => {
    const t = tollgateWith([{ scope: 'daily', maxUsd: 5 }], { pricing: { unpricedUnderCap: 'deny' } });
    const fakeOpenAI = await openaiFake();
    const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    const before = fakeOpenAI.requests.length;
    const err = await client.chat.completions.create({ model: 'gtp-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnknownModelError' });
    expect((err as Error).message).toContain('gtp-4o');
    expect(fakeOpenAI.requests.length).toBe(before);
  });

  it('a stream without max_tokens against a daily cap far below the default reservation stays under the cap', async () => {
    // The old failure: defaultMaxOutputTokens 10, a stream with no max_tokens, a $0.001 daily cap: $0.003 settled.
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.001 }], { estimation: { defaultMaxOutputTokens: 10 } });
    const fakeOpenAI = await openaiFake({ outputTokens: 300 });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    await runaway(10, async () => {
      await drain(await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'write a long essay' }] }));
    });
    const total = (await settledCosts(t)).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(1_000_000);
    expect(fakeOpenAI.requests.at(-1)?.body).toHaveProperty('max_tokens');
  });

  it('a provider reporting 50× the estimated input: the shortfall is counted, announced and learned, so the overspend stops after the first call', async () => {
    const t = tollgateWith([{ scope: 'daily', maxUsd: 0.1 }]);
    const shortfalls: ReservationShortfallEvent[] = [];
    t.on('reservation_shortfall', (e) => shortfalls.push(e));
    const messages = [{ role: 'user' as const, content: 'describe this image' }];
    const estimate = t.estimateInputTokens('gpt-4o', messages);
    const fakeOpenAI = await openaiFake({ inputTokens: 50 * estimate, outputTokens: 20 });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    let firstCost = 0;
    const { admitted } = await runaway(40, async () => {
      const res = await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 20, messages });
      if (firstCost === 0) firstCost = res.usage!.prompt_tokens * 2_500 + res.usage!.completion_tokens * 10_000;
    });
    expect(admitted).toBeGreaterThan(1);
    const total = (await settledCosts(t)).reduce((a, b) => a + b, 0);
    // Only the first call was under-reserved: the cap is exceeded by at most that call's shortfall.
    expect(shortfalls).toHaveLength(1);
    expect(shortfalls[0]).toMatchObject({ model: 'gpt-4o', estimatedInputTokens: estimate, actualInputTokens: 50 * estimate });
    expect(total).toBeLessThanOrEqual(100_000_000 + shortfalls[0]!.shortfallUsd * 1e9);
    const metrics = await t.metrics.metricsText();
    expect(metrics).toContain(`tollgate_reservation_shortfall_usd_total{provider="openai",model="gpt-4o"} ${shortfalls[0]!.shortfallUsd}`);
    expect(metrics).toMatch(/tollgate_problems_total\{kind="reservation_shortfall"\} 1/);
    expect(firstCost).toBeGreaterThan(0);
  });
});
