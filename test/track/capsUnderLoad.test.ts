import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../instrumentations/anthropic/index.js';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import { startFakeAnthropic, startFakeOpenAI } from '../fakes/index.js';
import type { FakeAnthropic, FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';

// The cap guarantee under the conditions that break it: both cores busy with other processes,
// hundreds of calls in flight at once on the default store (SQLite), calls that set no output
// limit, and a provider that ignores the limit tollgate sets.

const CONCURRENT = 300;
let busy: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  ensureContextManager();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-load-'));
  // Two busy loops, one per core, each ending on its own after 60 s at the latest.
  busy = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
});
afterAll(() => {
  for (const child of busy) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Fires `n` calls at once; counts those that went through (or were cut at their reservation) and those refused. */
async function burst(n: number, call: () => Promise<unknown>): Promise<{ admitted: number; denied: number }> {
  const outcomes = await Promise.allSettled(Array.from({ length: n }, () => call()));
  let admitted = 0;
  let denied = 0;
  for (const o of outcomes) {
    if (o.status === 'fulfilled') admitted++;
    else if (o.reason instanceof BudgetExceededError && o.reason.message.includes('cut off')) admitted++;
    else if (o.reason instanceof BudgetExceededError || (o.reason as { cause?: unknown }).cause instanceof BudgetExceededError) denied++;
    else throw o.reason;
  }
  return { admitted, denied };
}

async function settled(t: Tollgate): Promise<{ total: number; calls: number }> {
  await t.forceFlush();
  const [row] = await t.usage({ by: 'provider', where: { status: 'ok' } });
  const [cut] = await t.usage({ by: 'provider', where: { status: 'cost_exceeded' } });
  return { total: (row?.costNanos ?? 0) + (cut?.costNanos ?? 0), calls: (row?.calls ?? 0) + (cut?.calls ?? 0) };
}

describe(`caps hold with ${CONCURRENT} calls in flight while both cores are busy (SQLite store)`, () => {
  let fakeOpenAI: FakeOpenAI;
  let fakeAnthropic: FakeAnthropic;
  beforeAll(async () => {
    fakeOpenAI = await startFakeOpenAI({ outputTokens: 400, ignoreMaxTokens: true });
    fakeAnthropic = await startFakeAnthropic({ outputTokens: 400 });
  });
  afterAll(async () => {
    await fakeOpenAI.close();
    await fakeAnthropic.close();
  });

  it('openai, streamed, a provider that ignores the output limit (the caller\'s, or the one tollgate sets): within one chunk per call of the cap', async () => {
    const cap = 3;
    const t = createTollgate({ store: `sqlite:${join(dir, 'openai.db')}`, configFile: false, env: {}, guardFetch: false, quiet: true, budgets: [{ scope: 'daily', maxUsd: cap }] });
    try {
      const client = instrumentOpenAI(new OpenAI({ baseURL: fakeOpenAI.baseURL, apiKey: 'test', maxRetries: 0 }), t);
      const before = fakeOpenAI.requests.length;
      let i = 0;
      const { admitted, denied } = await burst(CONCURRENT, async () => {
        // Half the calls set a small max_tokens, half set none (tollgate then sets one).
        const limit = i++ % 2 === 0 ? { max_tokens: 20 } : {};
        const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, ...limit, messages: [{ role: 'user', content: 'write the whole report' }] });
        for await (const chunk of stream) void chunk;
      });
      const { total, calls } = await settled(t);
      expect(admitted).toBeGreaterThan(0);
      expect(denied).toBeGreaterThan(0);
      expect(admitted + denied).toBe(CONCURRENT);
      // Every call that reached the provider is charged, and only those.
      expect(fakeOpenAI.requests.length - before).toBe(admitted);
      expect(calls).toBe(admitted);
      // gpt-4o output: $10 / 1M tokens = 10,000 nano-USD a token (one chunk).
      expect(total).toBeLessThanOrEqual(cap * 1e9 + admitted * 10_000);
    } finally {
      await t.shutdown();
    }
  }, 60_000);

  it('anthropic, plain, max_tokens set: never more than the cap', async () => {
    const cap = 0.1;
    const t = createTollgate({ store: `sqlite:${join(dir, 'anthropic.db')}`, configFile: false, env: {}, guardFetch: false, quiet: true, budgets: [{ scope: 'daily', maxUsd: cap }] });
    try {
      const client = instrumentAnthropic(new Anthropic({ baseURL: fakeAnthropic.baseURL, apiKey: 'test', maxRetries: 0 }), t);
      const before = fakeAnthropic.requests.length;
      const { admitted, denied } = await burst(CONCURRENT, () =>
        client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 60, messages: [{ role: 'user', content: 'summarise the findings' }] }),
      );
      const { total, calls } = await settled(t);
      expect(admitted).toBeGreaterThan(0);
      expect(denied).toBeGreaterThan(0);
      expect(fakeAnthropic.requests.length - before).toBe(admitted);
      expect(calls).toBe(admitted);
      expect(total).toBeLessThanOrEqual(cap * 1e9);
    } finally {
      await t.shutdown();
    }
  }, 60_000);
});
