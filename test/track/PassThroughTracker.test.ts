import Anthropic from '@anthropic-ai/sdk';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../../instrumentations/anthropic/index.js';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { startFakeAnthropic, startFakeOpenAI } from '../fakes/index.js';
import type { FakeAnthropic, FakeOpenAI } from '../fakes/index.js';
import { makeTestTollgate } from '../helpers/otel.js';
import type { TestTollgate } from '../helpers/otel.js';

// A budget no call fits: with tollgate on it denies everything, switched off it must not.
const TINY = { scope: 'total', maxUsd: 0.000_000_001, onExceed: 'deny' } as const;

describe('the global switch (enabled = false): a pass-through', () => {
  let openaiFake: FakeOpenAI;
  let anthropicFake: FakeAnthropic;
  let t: TestTollgate | undefined;
  beforeAll(async () => {
    openaiFake = await startFakeOpenAI({ outputTokens: 4 });
    anthropicFake = await startFakeAnthropic({ outputTokens: 4 });
  });
  afterAll(async () => {
    await openaiFake.close();
    await anthropicFake.close();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
  });

  /** Drives every wrapper and both real clients; returns what the host got back. */
  async function drive(tollgate: TestTollgate['tollgate']): Promise<string[]> {
    const openai = instrumentOpenAI(new OpenAI({ baseURL: openaiFake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    const anthropic = instrumentAnthropic(new Anthropic({ baseURL: anthropicFake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate);
    return tollgate.task('T-1', () =>
      tollgate.session('S-1', async () => {
        const chat = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
        const message = await anthropic.messages.create({ model: 'claude-sonnet-4-0', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
        const own = await tollgate.llm({ model: 'gpt-4o', maxTokens: 10 }, (call) => {
          call.setUsage({ input: 1_000_000, output: 1_000_000 });
          return `${call.model}/${String(call.maxTokens)}`;
        });
        const tool = tollgate.tool('search', () => 'found');
        const memory = await tollgate.memory('read', async () => 'remembered');
        const verdict = tollgate.contract('non-empty', () => true);
        return [chat.model, message.model, own, tool, memory, String(verdict)];
      }),
    );
  }

  it('enabled: false in the options: no enforcement, no records, no spans; the wrappers call the SDK directly', async () => {
    t = makeTestTollgate({ enabled: false, budgets: [TINY] });
    const { tollgate } = t;
    expect(tollgate.enabled).toBe(false);
    const plain = new OpenAI({ baseURL: openaiFake.baseURL, apiKey: 'test', maxRetries: 0 });
    const create = plain.chat.completions.create;
    expect(instrumentOpenAI(plain, tollgate)).toBe(plain);
    expect(plain.chat.completions.create).toBe(create); // not patched

    const before = openaiFake.requests.length;
    expect(await drive(tollgate)).toEqual(['gpt-4o', 'claude-sonnet-4-0', 'gpt-4o/10', 'found', 'remembered', 'true']);
    expect(openaiFake.requests.length).toBe(before + 1);
    // The request went out as the host wrote it: no stream_options or limits added.
    expect(openaiFake.requests.at(-1)?.body).toEqual({ model: 'gpt-4o', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    await tollgate.forceFlush();
    expect(await tollgate.ledger.records({})).toEqual([]);
    expect(await tollgate.usage({ by: 'model', since: 0 })).toEqual([]);
    expect(t.spans()).toEqual([]);
  });

  it('the same calls with tollgate on are denied by that budget (the switch is what lets them through)', async () => {
    t = makeTestTollgate({ budgets: [TINY] });
    await expect(drive(t.tollgate)).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('reads `[telemetry] enabled = false` from tollgate.toml and TOLLGATE_ENABLED=false from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-switch-'));
    const file = join(dir, 'tollgate.toml');
    writeFileSync(file, '[telemetry]\nenabled = false\n\n[[telemetry.budgets]]\nscope = "daily"\nmax_usd = 0.000000001\non_exceed = "deny"\n');
    t = makeTestTollgate({ configFile: file });
    expect(t.tollgate.config.enabled).toBe(false);
    expect(await drive(t.tollgate)).toHaveLength(6);
    expect(await t.tollgate.ledger.records({})).toEqual([]);
    expect(t.spans()).toEqual([]);
    await t.shutdown();

    t = makeTestTollgate({ env: { TOLLGATE_ENABLED: 'false' }, budgets: [TINY] });
    expect(t.tollgate.enabled).toBe(false);
    expect(await drive(t.tollgate)).toHaveLength(6);
    expect(await t.tollgate.ledger.records({})).toEqual([]);
    await t.shutdown();

    // Explicit options win over the environment.
    t = makeTestTollgate({ env: { TOLLGATE_ENABLED: 'false' }, enabled: true, budgets: [TINY] });
    await expect(drive(t.tollgate)).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('opens no store when switched off (no SQLite file is created)', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'tollgate-switch-')), 'ledger.db');
    t = makeTestTollgate({ enabled: false, store: `sqlite:${db}` });
    await t.tollgate.llm({ model: 'gpt-4o' }, () => 'ok');
    await t.tollgate.forceFlush();
    expect(existsSync(db)).toBe(false);
  });

  it('a wrong TOLLGATE_ENABLED value is a configuration error naming the variable', () => {
    expect(() => makeTestTollgate({ env: { TOLLGATE_ENABLED: 'maybe' } })).toThrow(/TOLLGATE_ENABLED/);
  });
});
