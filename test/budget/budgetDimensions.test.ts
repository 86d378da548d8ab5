import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Tracer, TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import type { InstrumentOpenAIOptions } from '../../instrumentations/openai/index.js';
import { normalizeBudget } from '../../src/budget/normalizeBudget.js';
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetConfigError } from '../../src/core/BudgetConfigError.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import { buildReportData } from '../../src/report/buildReportData.js';
import { renderMarkdown } from '../../src/report/renderMarkdown.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';

const RAW_KEY = 'sk-live-attribution-SECRET-0123456789';
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'name three colours' }];

describe('budget where and per: validation', () => {
  it('keeps where fields in a fixed order, hashes an API key and names the budget after them', () => {
    const b = normalizeBudget({ scope: 'daily', maxUsd: 5, where: { 'metadata.env': 'prod', apiKey: RAW_KEY, team: 'search' } });
    expect(b.where).toEqual({ team: 'search', apiKey: apiKeyHash(RAW_KEY), 'metadata.env': 'prod' });
    expect(b.id).toBe(`daily:team=search,apiKey=${apiKeyHash(RAW_KEY)},metadata.env=prod`);
    expect(JSON.stringify(b)).not.toContain(RAW_KEY);
    expect(normalizeBudget({ scope: 'monthly', maxUsd: 5, per: 'user' }).id).toBe('monthly:per=user');
    expect(normalizeBudget({ scope: 'total', maxUsd: 5, per: 'metadata.customer', where: { tag: 'batch' } }).id).toBe('total:tag=batch,per=metadata.customer');
  });

  it('refuses a malformed where or per, naming the field and what to use', () => {
    const error = (spec: Record<string, unknown>): string => {
      try {
        normalizeBudget({ scope: 'daily', maxUsd: 1, ...spec }, 'budgets[0]');
      } catch (err: unknown) {
        expect(err).toBeInstanceOf(BudgetConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a BudgetConfigError');
    };
    expect(error({ where: { colour: 'red' } })).toMatch(/budgets\[0\]\.where\.colour.*user, team, apiKey, tag or metadata\.<key>/);
    expect(error({ where: { team: '' } })).toMatch(/budgets\[0\]\.where\.team.*non-empty string/);
    expect(error({ where: {} })).toMatch(/budgets\[0\]\.where.*at least one/);
    expect(error({ where: 'team=search' })).toMatch(/budgets\[0\]\.where.*object/);
    expect(error({ per: 'tag' })).toMatch(/budgets\[0\]\.per.*user, team, apiKey, metadata\.<key>/);
    expect(error({ per: 'metadata.bad key' })).toMatch(/budgets\[0\]\.per/);
    expect(() => normalizeBudget({ scope: 'task', maxUsd: 1, per: 'user' }, 'b')).toThrow(/b\.per.*daily, weekly, monthly and total.*task id/);
  });
});

describe('budgets per team, user and API key with the real openai client (SQLite store)', () => {
  let fake: FakeOpenAI;
  const open: Tollgate[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    ensureContextManager();
    // 900 output tokens of gpt-4o cost $0.009: with max_tokens 1000 ($0.01 reserved), a $0.015 budget holds one call.
    fake = await startFakeOpenAI({ outputTokens: 900 });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.shutdown()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function setup(budgets: BudgetSpec[]): { tollgate: Tollgate; dbPath: string; exporter: InMemorySpanExporter; client: (o?: InstrumentOpenAIOptions) => OpenAI } {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-attribution-'));
    dirs.push(dir);
    const dbPath = join(dir, 'ledger.db');
    let provider: TracerProvider | undefined;
    const lazy: ApiTracerProvider = { getTracer: (name: string, version?: string): Tracer => provider!.getTracer(name, version) };
    const tollgate = createTollgate({ store: `sqlite:${dbPath}`, budgets, configFile: false, env: {}, guardFetch: false, tracerProvider: lazy });
    open.push(tollgate);
    const exporter = new InMemorySpanExporter();
    provider = new TracerProvider({ spanProcessors: [tollgate.spanProcessor, new SimpleSpanProcessor({ exporter: exporter })] });
    const client = (o: InstrumentOpenAIOptions = {}): OpenAI => instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), tollgate, o);
    return { tollgate, dbPath, exporter, client };
  }

  const chat = (c: OpenAI, user?: string): Promise<unknown> =>
    c.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000, ...(user !== undefined ? { user } : {}) });

  it("a where-budget on a team denies that team's calls, naming the budget and the team, and not another team's", async () => {
    const { tollgate, client } = setup([{ scope: 'daily', where: { team: 'search' }, maxUsd: 0.015 }]);
    const search = client({ attribution: { team: 'search' } });
    const ads = client({ attribution: { team: 'ads' } });
    await chat(search);
    const sent = fake.requests.length;
    const err = await chat(search).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budgetId: 'daily:team=search', key: 'team=search', scope: 'daily', action: 'deny' });
    expect((err as Error).message).toContain('"daily:team=search" (team=search)');
    expect(fake.requests.length).toBe(sent); // nothing was sent
    // Another team, and calls with no team, are not counted by it.
    await chat(ads);
    await chat(ads);
    await chat(client());
    // Per call, inside tollgate.attribute(): the context's team is charged too.
    await expect(tollgate.attribute({ team: 'search' }, () => chat(client()))).rejects.toBeInstanceOf(BudgetExceededError);
    await tollgate.forceFlush();
    const byTeam = await tollgate.usage({ by: 'team' });
    // Refused calls are recorded (status denied, $0) under their team too.
    expect(Object.fromEntries(byTeam.map((g) => [g.key, g.calls]))).toEqual({ ads: 2, search: 3, '': 1 });
    expect(byTeam[0]).toMatchObject({ key: 'ads' });
    const [status] = await tollgate.budgetStatus();
    expect(status).toMatchObject({ key: 'team=search', limitUsd: 0.015 });
    expect(status!.spentUsd).toBeCloseTo(0.009, 3);
  });

  it('a per-user budget gives every user their own counter (user from the request body, tollgate.llm and tollgate.task)', async () => {
    const { tollgate, client } = setup([{ scope: 'daily', per: 'user', maxUsd: 0.015 }]);
    const openai = client();
    await chat(openai, 'alice');
    await expect(chat(openai, 'alice')).rejects.toMatchObject({ name: 'BudgetExceededError', budgetId: 'daily:per=user', key: 'user=alice' });
    await chat(openai, 'bob');
    // The same counter, whichever way the user is given.
    await expect(tollgate.task('T-1', () => chat(openai), { user: 'alice' })).rejects.toMatchObject({ key: 'user=alice' });
    await expect(
      tollgate.llm({ model: 'gpt-4o', provider: 'openai', inputTokens: 10, maxTokens: 1000, user: 'alice' }, () => 'never sent'),
    ).rejects.toMatchObject({ key: 'user=alice' });
    await tollgate.llm({ model: 'gpt-4o', provider: 'openai', inputTokens: 10, maxTokens: 1000, user: 'carol' }, (call) => call.setUsage({ input: 10, output: 900 }));
    // Calls without a user are not counted by a per-user budget.
    await chat(openai);
    await chat(openai);
    const statuses = await tollgate.budgetStatus();
    expect(statuses.map((s) => s.key).sort()).toEqual(['user=alice', 'user=bob', 'user=carol']);
    expect((await tollgate.budgets.status({ values: { user: 'bob' } })).map((s) => s.key)).toEqual(['user=bob']);
    await tollgate.forceFlush();
    const byUser = await tollgate.usage({ by: 'user' });
    expect(Object.fromEntries(byUser.map((g) => [g.key, g.calls]))).toEqual({ alice: 4, bob: 1, carol: 1, '': 2 });
    expect(byUser.find((g) => g.key === 'alice')?.costNanos).toBe(byUser.find((g) => g.key === 'bob')?.costNanos);
  });

  it('stores, exports and budgets an API key only as its hash: the raw key is nowhere in the SQLite file, the records or the spans', async () => {
    const { tollgate, dbPath, exporter, client } = setup([]);
    const budget = await tollgate.addBudget({ id: 'key-cap', scope: 'total', where: { apiKey: RAW_KEY }, maxUsd: 0.015 });
    expect(budget.where).toEqual({ apiKey: apiKeyHash(RAW_KEY) });
    const keyed = client({ attribution: { apiKey: RAW_KEY, tags: ['batch', 'eval'], metadata: { env: 'prod' } } });
    await chat(keyed, 'alice');
    await expect(chat(keyed)).rejects.toMatchObject({ budgetId: 'key-cap', key: `apiKey=${apiKeyHash(RAW_KEY)}` });
    await chat(client());
    await tollgate.forceFlush();

    const records = await tollgate.ledger.records({});
    expect(records.map((r) => r.apiKeyHash)).toEqual([undefined, apiKeyHash(RAW_KEY), apiKeyHash(RAW_KEY)]);
    expect(records[2]).toMatchObject({ user: 'alice', tags: ['batch', 'eval'], metadata: { env: 'prod' } });
    expect(JSON.stringify(records)).not.toContain(RAW_KEY);
    const spans = exporter.getFinishedSpans();
    expect(spans[0]!.attributes).toMatchObject({
      'user.id': 'alice',
      'tollgate.api_key.hash': apiKeyHash(RAW_KEY),
      'tollgate.tags': ['batch', 'eval'],
      'tollgate.metadata.env': 'prod',
    });
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(RAW_KEY);
    expect((await tollgate.usage({ by: 'apiKey', where: { apiKey: RAW_KEY } })).map((g) => [g.key, g.calls])).toEqual([[apiKeyHash(RAW_KEY), 2]]);
    expect(Object.fromEntries((await tollgate.usage({ by: 'tag' })).map((g) => [g.key, g.calls]))).toEqual({ batch: 2, eval: 2, '': 1 });
    expect(Object.fromEntries((await tollgate.usage({ by: 'metadata.env' })).map((g) => [g.key, g.calls]))).toEqual({ prod: 2, '': 1 });

    const report = renderMarkdown(await buildReportData({ ledger: tollgate.ledger, budgetStatus: () => tollgate.budgetStatus(), now: Date.now() }));
    expect(report).toContain('## Per user, team, API key and tag');
    expect(report).toContain(`| ${apiKeyHash(RAW_KEY)} |`);
    expect(report).not.toContain(RAW_KEY);
    const metrics = await tollgate.metrics.metricsText();
    // Calls count the refused one too (recorded as denied, $0); cost only the one that ran.
    expect(metrics).toContain(`attribution_calls_total{dimension="api_key",value="${apiKeyHash(RAW_KEY)}"} 2`);
    expect(metrics).toContain('attribution_calls_total{dimension="tag",value="eval"} 2');
    expect(metrics).toMatch(new RegExp(`attribution_cost_usd_total\\{dimension="api_key",value="${apiKeyHash(RAW_KEY)}"\\} 0\\.009`));
    expect(metrics).not.toContain(RAW_KEY);

    await tollgate.shutdown();
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(Buffer.from(RAW_KEY))).toBe(false);
    }
    expect(readFileSync(dbPath).includes(Buffer.from(apiKeyHash(RAW_KEY)))).toBe(true);
  });

  it('refuses malformed attribution input with an error naming where and the field', async () => {
    const { tollgate, client } = setup([]);
    expect(() => client({ attribution: { tags: ['a,b'] } })).toThrow(/instrumentOpenAI\(\) options\.attribution\.tags\[0\]/);
    await expect(tollgate.llm({ model: 'gpt-4o', metadata: { decision: 'x' } }, () => 1)).rejects.toThrow(/tollgate\.llm\(\) options\.metadata key "decision" is one tollgate writes itself/);
    expect(() => tollgate.task('T', () => 1, { user: '' })).toThrow(/tollgate\.task\(\) options\.user must be a non-empty string/);
  });
});
