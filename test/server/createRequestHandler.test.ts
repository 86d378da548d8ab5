import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { TollgateEventName, TollgateListener } from '../../src/events/TollgateEvents.js';
import type { UsageQuery } from '../../src/ledger/Ledger.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { BudgetStatusView } from '../../src/metrics/MetricSources.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import type { BudgetAdmin, HealthReport, ServerDeps } from '../../src/server/ServerDeps.js';
import { startServer } from '../../src/server/startServer.js';
import type { RunningServer } from '../../src/server/startServer.js';
import { TraceRing } from '../../src/traces/TraceRing.js';
import { missingToolReason } from '../deploy/promtool.js';
import { apiKeyHash } from '../../src/core/apiKeyHash.js';
import { sampleValue } from '../metrics/promText.js';

/** 2026-11-23T12:00:00Z */
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;
const TOKEN = 's3cret-admin-token';

/** The budget engine's shape, in memory: validates like the engine does (throws with a reason). */
class FakeBudgets implements BudgetAdmin {
  readonly specs = new Map<string, BudgetSpec>();

  list(): BudgetSpec[] {
    return [...this.specs.values()];
  }

  add(spec: BudgetSpec): BudgetSpec {
    if (typeof spec.maxUsd !== 'number' || !(spec.maxUsd > 0)) throw new Error('"maxUsd" must be a number > 0');
    const id = spec.id ?? spec.scope;
    const stored = { ...spec, id };
    this.specs.set(id, stored);
    return stored;
  }

  remove(id: string): boolean {
    return this.specs.delete(id);
  }

  status(): BudgetStatusView[] {
    return this.list().map((s) => ({
      budget: { id: s.id ?? s.scope, scope: s.scope },
      key: 'global',
      spentUsd: 1,
      reservedUsd: 0,
      limitUsd: s.maxUsd,
      remainingUsd: s.maxUsd - 1,
    }));
  }
}

function record(overrides: Partial<UsageRecord>): UsageRecord {
  return {
    id: `r-${Math.random()}`,
    time: NOW - HOUR,
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 100,
    outputTokens: 10,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 350_000,
    status: 'ok',
    ...overrides,
  };
}

interface Fixture {
  server: RunningServer;
  deps: ServerDeps;
  budgets: FakeBudgets;
  events: EventBus;
  ledger: MemoryLedger;
  usageQueries: UsageQuery[];
  health: { report: HealthReport | Error };
}

async function setup(overrides: Partial<ServerDeps> = {}): Promise<Fixture> {
  const budgets = new FakeBudgets();
  const events = new EventBus();
  const ledger = new MemoryLedger();
  const usageQueries: UsageQuery[] = [];
  const health: Fixture['health'] = { report: { ok: true, checks: { pricing: { ok: true }, store: { ok: true } } } };
  const metrics = new TollgateMetrics();
  metrics.setBudgetSource(() => budgets.status());
  const deps: ServerDeps = {
    metrics,
    budgets,
    usage: (query) => {
      usageQueries.push(query);
      return ledger.usage(query);
    },
    traces: new TraceRing(),
    events,
    health: () => {
      if (health.report instanceof Error) throw health.report;
      return health.report;
    },
    status: () => ({ sessionCostUsd: 0.25 }),
    adminToken: TOKEN,
    now: () => NOW,
    ...overrides,
  };
  const server = await startServer(deps, { port: 0 });
  return { server, deps, budgets, events, ledger, usageQueries, health };
}

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.server.close();
  fx = undefined;
});

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers; text: string }> {
  if (fx === undefined) throw new Error('no server');
  const res = await fetch(`${fx.server.url}${path}`, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, headers: res.headers, text };
}

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

describe('GET /metrics', () => {
  beforeEach(async () => {
    fx = await setup();
  });

  it('serves the Prometheus text format with scrape-time budget gauges', async () => {
    fx?.budgets.add({ scope: 'daily', maxUsd: 20 });
    fx?.deps.metrics.recordUsage(record({ inputTokens: 1234, task: 'T-1' }), 0.4);
    const res = await call('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(res.text, 'tokens_input_total', { provider: 'openai', model: 'gpt-4o' })).toBe(1234);
    expect(sampleValue(res.text, 'daily_cost_remaining_usd')).toBe(19);
  });

  it('passes `promtool check metrics` with nothing to report', async (ctx) => {
    const skip = missingToolReason('promtool');
    if (skip !== undefined) return ctx.skip(skip);
    fx?.budgets.add({ scope: 'daily', maxUsd: 20 });
    fx?.budgets.add({ id: 'per-task', scope: 'task', maxUsd: 0.5 });
    const m = fx?.deps.metrics;
    m?.recordUsage(record({ inputTokens: 1000, outputTokens: 100, cacheReadTokens: 10, reasoningTokens: 5, task: 'T-1' }), 1.2);
    m?.recordUsage(record({ operation: 'embeddings', model: 'text-embedding-3-small', outputTokens: 0 }), 0.05);
    m?.recordUsage(record({ operation: 'execute_tool', metadata: { tool: 'search' }, costNanos: 0 }));
    m?.recordUsage(record({ operation: 'memory', metadata: { memoryOperation: 'read' }, costNanos: 0 }));
    m?.recordUsage(record({ operation: 'contract', metadata: { contract: 'schema' }, costNanos: 0 }));
    m?.recordBudgetExceeded('daily', 'deny');
    m?.recordError('exporter');
    m?.recordLedgerError();
    const res = await call('/metrics');
    expect(res.status).toBe(200);
    const report = execFileSync('promtool', ['check', 'metrics'], { input: res.text, encoding: 'utf8' });
    expect(report).toBe('');
  });
});

describe('GET /healthz', () => {
  beforeEach(async () => {
    fx = await setup();
  });

  it('answers 200 with the checks when healthy', async () => {
    const res = await call('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, checks: { pricing: { ok: true }, store: { ok: true } } });
  });

  it('answers 503 with the failing check', async () => {
    if (fx) fx.health.report = { ok: false, checks: { pricing: { ok: true }, store: { ok: false, error: 'ECONNREFUSED 127.0.0.1:6379' } } };
    const res = await call('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ ok: false, checks: { pricing: { ok: true }, store: { ok: false, error: 'ECONNREFUSED 127.0.0.1:6379' } } });
  });

  it('answers 503 when the health check itself throws', async () => {
    if (fx) fx.health.report = new Error('boom');
    const res = await call('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ ok: false, checks: { health: { ok: false, error: 'boom' } } });
  });
});

describe('GET /v1/usage', () => {
  beforeEach(async () => {
    fx = await setup();
    const ledger = fx.ledger;
    ledger.settle(record({ id: 'a', task: 'T-1', costNanos: 1_000_000 }), []);
    ledger.settle(record({ id: 'b', task: 'T-2', model: 'gpt-4o-mini', costNanos: 250_000, status: 'error' }), []);
    ledger.settle(record({ id: 'c', provider: 'anthropic', model: 'claude-sonnet-4', time: NOW - 3 * 86_400_000, costNanos: 2_000_000 }), []);
  });

  it('groups by user, team, apiKey, tag and metadata.<key>, filtered by any of them (apiKey by the key or its hash)', async () => {
    const key = apiKeyHash('sk-http-secret');
    fx!.ledger.settle(record({ id: 'u1', user: 'alice', team: 'search', apiKeyHash: key, tags: ['batch'], metadata: { env: 'prod' }, costNanos: 3_000_000 }), []);
    fx!.ledger.settle(record({ id: 'u2', user: 'bob', team: 'search', tags: ['batch', 'eval'], costNanos: 500_000 }), []);
    const keys = async (query: string): Promise<[string, number][]> => {
      const res = await call(`/v1/usage?${query}`);
      expect(res.status).toBe(200);
      return (res.body as { groups: { key: string; calls: number }[] }).groups.map((g) => [g.key, g.calls]);
    };
    expect(await keys('by=user&team=search')).toEqual([['alice', 1], ['bob', 1]]);
    expect(await keys('by=team&apiKey=sk-http-secret')).toEqual([['search', 1]]);
    expect(await keys(`by=user&apiKey=${encodeURIComponent(key)}`)).toEqual([['alice', 1]]);
    expect(await keys('by=tag&user=bob')).toEqual([['batch', 1], ['eval', 1]]);
    expect(await keys('by=user&metadata.env=prod')).toEqual([['alice', 1]]);
    expect(await keys('by=metadata.env&tag=batch')).toEqual([['prod', 1], ['', 1]]);
    expect(await call('/v1/usage?by=user&metadata.bad%20key=x')).toMatchObject({ status: 400, body: { error: expect.stringContaining('metadata.bad key') } });
  });

  it('groups by model by default, with totals and USD next to the exact nanos', async () => {
    const res = await call('/v1/usage');
    expect(res.status).toBe(200);
    const body = res.body as { by: string; since: null; until: null; groups: { key: string; costNanos: number; costUsd: number; calls: number; errors: number }[]; total: { calls: number; costNanos: number; costUsd: number; inputTokens: number } };
    expect(body.by).toBe('model');
    expect(body.since).toBeNull();
    expect(body.until).toBeNull();
    expect(
      body.groups.map((g) => [g.key, g.calls, g.errors, g.costNanos, g.costUsd]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['claude-sonnet-4', 1, 0, 2_000_000, 0.002],
      ['gpt-4o', 1, 0, 1_000_000, 0.001],
      ['gpt-4o-mini', 1, 1, 250_000, 0.00025],
    ]);
    expect(body.total).toMatchObject({ key: '', calls: 3, errors: 1, inputTokens: 300, costNanos: 3_250_000, costUsd: 0.00325 });
  });

  it('reads since/until as durations ago, ISO dates and epoch ms, and passes filters', async () => {
    let res = await call('/v1/usage?by=provider&since=24h');
    expect(res.status).toBe(200);
    expect(fx?.usageQueries.at(-1)).toEqual({ by: 'provider', since: NOW - 24 * HOUR });
    expect((res.body as { groups: { key: string }[] }).groups.map((g) => g.key)).toEqual(['openai']);

    res = await call(`/v1/usage?by=day&since=2026-11-01&until=${NOW}`);
    expect(res.status).toBe(200);
    expect(fx?.usageQueries.at(-1)).toEqual({ by: 'day', since: Date.UTC(2026, 10, 1), until: NOW });

    res = await call('/v1/usage?by=task&since=7d&until=2026-11-23T11:30:00Z&status=error&provider=openai');
    expect(res.status).toBe(200);
    expect(fx?.usageQueries.at(-1)).toEqual({
      by: 'task',
      since: NOW - 7 * 86_400_000,
      until: Date.UTC(2026, 10, 23, 11, 30),
      where: { provider: 'openai', status: 'error' },
    });
    expect((res.body as { groups: { key: string; costUsd: number }[] }).groups).toMatchObject([{ key: 'T-2', costUsd: 0.00025 }]);

    for (const by of ['session', 'agent', 'model']) {
      expect((await call(`/v1/usage?by=${by}`)).status).toBe(200);
    }
  });

  it('groups by UTC month with by=month', async () => {
    const res = await call('/v1/usage?by=month');
    expect(res.status).toBe(200);
    expect(fx?.usageQueries.at(-1)).toEqual({ by: 'month' });
    const body = res.body as { by: string; groups: { key: string; calls: number; costNanos: number }[] };
    expect(body.by).toBe('month');
    expect(body.groups.map((g) => [g.key, g.calls, g.costNanos])).toEqual([['2026-11', 3, 3_250_000]]);
  });

  it('answers 400 naming the bad parameter', async () => {
    expect(await call('/v1/usage?by=colour')).toMatchObject({
      status: 400,
      body: { error: 'parameter "by": unknown usage grouping "colour"; use one of model, provider, task, session, agent, day, month, operation, status, user, team, apiKey, tag, metadata.<key>' },
    });
    const since = await call('/v1/usage?since=yesterday');
    expect(since.status).toBe(400);
    expect((since.body as { error: string }).error).toMatch(/^parameter "since" is "yesterday"; use an ISO date/);
    const until = await call('/v1/usage?until=24x');
    expect(until.status).toBe(400);
    expect((until.body as { error: string }).error).toMatch(/^parameter "until" is "24x"/);
    expect(await call('/v1/usage?since=1h&until=2d')).toMatchObject({ status: 400, body: { error: 'parameter "since" is after "until"' } });
    expect(await call('/v1/usage?status=weird')).toMatchObject({
      status: 400,
      body: { error: 'parameter "status" is "weird"; use one of ok, error, denied, cost_exceeded' },
    });
  });
});

describe('GET /v1/traces', () => {
  it('lists recent traces (newest first, ?limit=) and serves one with its spans; 404 for unknown ids', async () => {
    fx = await setup();
    const provider = new TracerProvider({ spanProcessors: [fx.deps.traces] });
    const tracer = provider.getTracer('server-test');
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const span = tracer.startSpan(`chat m${i}`, { root: true, startTime: NOW + i, attributes: { 'gen_ai.usage.input_tokens': 10 * i } });
      span.end(NOW + i + 5);
      ids.push(span.spanContext().traceId);
    }
    await provider.shutdown();

    let res = await call('/v1/traces');
    expect(res.status).toBe(200);
    expect((res.body as { traces: { traceId: string }[] }).traces.map((t) => t.traceId)).toEqual([ids[2], ids[1], ids[0]]);
    res = await call('/v1/traces?limit=1');
    expect(res.body).toEqual({
      traces: [{ traceId: ids[2], rootName: 'chat m2', start: NOW + 2, durationMs: 5, spanCount: 1, costUsd: 0, inputTokens: 20, outputTokens: 0, status: 'OK' }],
    });
    expect(await call('/v1/traces?limit=0')).toMatchObject({ status: 400, body: { error: 'parameter "limit" is "0"; use a positive integer' } });

    res = await call(`/v1/traces/${ids[1] ?? ''}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ traceId: ids[1], rootName: 'chat m1', spans: [{ name: 'chat m1', kind: 'INTERNAL', durationMs: 5 }] });

    expect(await call(`/v1/traces/${'f'.repeat(32)}`)).toMatchObject({
      status: 404,
      body: { error: `no trace "${'f'.repeat(32)}" among the recent traces` },
    });
  });
});

describe('/v1/budgets', () => {
  beforeEach(async () => {
    fx = await setup();
  });

  it('lists budgets and their status', async () => {
    fx?.budgets.add({ scope: 'daily', maxUsd: 20 });
    const res = await call('/v1/budgets');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      budgets: [{ id: 'daily', scope: 'daily', maxUsd: 20 }],
      status: [{ budget: { id: 'daily', scope: 'daily' }, key: 'global', spentUsd: 1, reservedUsd: 0, limitUsd: 20, remainingUsd: 19 }],
    });
  });

  it('adds a budget with the admin token (201) and removes it (200, then 404)', async () => {
    let res = await call('/v1/budgets', { method: 'POST', headers: auth, body: JSON.stringify({ id: 'tasks', scope: 'task', maxUsd: 0.5 }) });
    expect(res).toMatchObject({ status: 201, body: { budget: { id: 'tasks', scope: 'task', maxUsd: 0.5 } } });
    expect(fx?.budgets.list()).toEqual([{ id: 'tasks', scope: 'task', maxUsd: 0.5 }]);

    res = await call('/v1/budgets/tasks', { method: 'DELETE', headers: auth });
    expect(res).toMatchObject({ status: 200, body: { deleted: 'tasks' } });
    expect(fx?.budgets.list()).toEqual([]);

    res = await call('/v1/budgets/tasks', { method: 'DELETE', headers: auth });
    expect(res).toMatchObject({ status: 404, body: { error: 'no budget with id "tasks"' } });
    res = await call('/v1/budgets/with%20space', { method: 'DELETE', headers: auth });
    expect(res).toMatchObject({ status: 404, body: { error: 'no budget with id "with space"' } });
  });

  it('refuses a missing or wrong token with 401', async () => {
    const body = JSON.stringify({ scope: 'daily', maxUsd: 1 });
    const expected = { status: 401, body: { error: 'missing or wrong admin token: send "Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>"' } };
    expect(await call('/v1/budgets', { method: 'POST', body })).toMatchObject(expected);
    expect(await call('/v1/budgets', { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}x` } })).toMatchObject(expected);
    expect(await call('/v1/budgets', { method: 'POST', body, headers: { authorization: `Basic ${TOKEN}` } })).toMatchObject(expected);
    const res = await call('/v1/budgets/daily', { method: 'DELETE', headers: { authorization: 'Bearer s3cret' } });
    expect(res).toMatchObject(expected);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(fx?.budgets.list()).toEqual([]);
  });

  it('answers 400 with the reason for bad JSON, a non-object, an empty body and an invalid budget', async () => {
    let res = await call('/v1/budgets', { method: 'POST', headers: auth, body: '{"scope":' });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^the request body is not valid JSON: /);
    res = await call('/v1/budgets', { method: 'POST', headers: auth, body: '[1,2]' });
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'the request body must be a JSON object describing one budget, e.g. {"scope":"daily","maxUsd":20}' },
    });
    res = await call('/v1/budgets', { method: 'POST', headers: auth, body: '' });
    expect(res).toMatchObject({ status: 400, body: { error: 'the request body is empty; send a JSON object' } });
    res = await call('/v1/budgets', { method: 'POST', headers: auth, body: JSON.stringify({ scope: 'daily', maxUsd: -1 }) });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid budget: budget.maxUsd must be a number of USD greater than 0 and at most 1e15; got -1' } });
  });

  it('answers 413 for a body over the limit', async () => {
    const big = JSON.stringify({ scope: 'daily', maxUsd: 1, pad: 'x'.repeat(70_000) });
    const res = await call('/v1/budgets', { method: 'POST', headers: auth, body: big });
    expect(res).toMatchObject({ status: 413, body: { error: `request body is ${Buffer.byteLength(big)} bytes; the limit is 65536` } });
  });

  it('answers 413 for a chunked body that grows over the limit', async () => {
    await fx?.server.close();
    fx = await setup({ maxBodyBytes: 100 });
    const port = fx.server.port;
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/budgets', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"scope":"daily","maxUsd":1,"pad":"');
      req.write('y'.repeat(200));
      req.end('"}');
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toEqual({ error: 'request body is over the limit of 100 bytes' });
  });

  it('answers 403 with how to enable them when no admin token is configured', async () => {
    await fx?.server.close();
    fx = await setup({ adminToken: undefined });
    const expected = {
      status: 403,
      body: { error: 'budget changes over HTTP are disabled: set TOLLGATE_ADMIN_TOKEN (or the adminToken option) to enable them' },
    };
    expect(await call('/v1/budgets', { method: 'POST', headers: auth, body: '{"scope":"daily","maxUsd":1}' })).toMatchObject(expected);
    expect(await call('/v1/budgets/daily', { method: 'DELETE', headers: auth })).toMatchObject(expected);
    expect((await call('/v1/budgets')).status).toBe(200);
  });
});

describe('GET /v1/status', () => {
  it('reports uptime, trace count, the given fields and rate limits', async () => {
    let now = NOW;
    fx = await setup({ now: () => now, rateLimitStatus: () => ({ openai: { requestsPerMinute: 60, used: 3 } }) });
    now = NOW + 90_500;
    const res = await call('/v1/status');
    expect(res).toMatchObject({
      status: 200,
      body: { uptimeSeconds: 90.5, traceCount: 0, sessionCostUsd: 0.25, rateLimits: { openai: { requestsPerMinute: 60, used: 3 } } },
    });
    // Seed 000's field names for the same values.
    expect(res.body).toMatchObject({ session_cost_usd: 0.25, trace_count: 0 });
  });
});

describe('routing', () => {
  beforeEach(async () => {
    fx = await setup();
  });

  it('answers 404 for unknown routes and 405 (with Allow) for wrong methods, as JSON', async () => {
    expect(await call('/nope')).toMatchObject({ status: 404, body: { error: 'no route /nope' } });
    expect(await call('/v1/budgets/a/b')).toMatchObject({ status: 404, body: { error: 'no route /v1/budgets/a/b' } });
    const res = await call('/metrics', { method: 'POST', body: 'x' });
    expect(res).toMatchObject({ status: 405, body: { error: 'method POST is not allowed on /metrics; use GET' } });
    expect(res.headers.get('allow')).toBe('GET');
    expect(await call('/v1/budgets', { method: 'PUT', body: '{}' })).toMatchObject({
      status: 405,
      body: { error: 'method PUT is not allowed on /v1/budgets; use GET, POST' },
    });
    expect((await call('/v1/status/')).status).toBe(200);
  });

  it('answers 500 with a JSON error when a dependency fails', async () => {
    await fx?.server.close();
    fx = await setup({ status: () => Promise.reject(new Error('ledger closed')) });
    expect(await call('/v1/status')).toMatchObject({ status: 500, body: { error: 'GET /v1/status failed: ledger closed' } });
  });
});

describe('GET /v1/events', () => {
  /** An event source whose unsubscribes can be awaited. */
  function trackedEvents(bus: EventBus): { on: ServerDeps['events']['on']; allUnsubscribed: Promise<void> } {
    let live = 0;
    let done: () => void = () => {};
    const allUnsubscribed = new Promise<void>((resolve) => (done = resolve));
    return {
      allUnsubscribed,
      on<E extends TollgateEventName>(event: E, listener: TollgateListener<E>): () => void {
        live += 1;
        const off = bus.on(event, listener);
        return () => {
          off();
          live -= 1;
          if (live === 0) done();
        };
      },
    };
  }

  async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, sofar = ''): Promise<string> {
    const decoder = new TextDecoder();
    let buf = sofar;
    while (!buf.includes(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before "${text}"; got ${buf}`);
      buf += decoder.decode(value, { stream: true });
    }
    return buf;
  }

  it('streams usage, threshold and budget_exceeded events, heartbeats, and unsubscribes on close', async () => {
    const bus = new EventBus();
    const tracked = trackedEvents(bus);
    fx = await setup({ events: tracked, sseHeartbeatMs: 20 });
    const abort = new AbortController();
    const res = await fetch(`${fx.server.url}/v1/events`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, ': connected\n\n');
    expect(bus.listenerCount('usage')).toBe(1);

    const usageRecord = record({ id: 'u1', inputTokens: 7 });
    bus.emit('usage', { record: usageRecord, costUsd: 0.00035 });
    const threshold = { budgetId: 'daily', scope: 'daily' as const, key: 'global', threshold: 0.8, spentUsd: 16, limitUsd: 20, time: NOW };
    bus.emit('threshold', threshold);
    const exceeded = {
      budgetId: 'daily', scope: 'daily' as const, key: 'global', action: 'deny' as const,
      spentUsd: 20, limitUsd: 20, attemptedUsd: 0.1, model: 'gpt-4o', time: NOW,
    };
    bus.emit('budget_exceeded', exceeded);
    const full = await readUntil(reader, `event: budget_exceeded\ndata: ${JSON.stringify(exceeded)}\n\n`);
    expect(full).toContain(`event: usage\ndata: ${JSON.stringify({ record: usageRecord, costUsd: 0.00035 })}\n\n`);
    expect(full).toContain(`event: threshold\ndata: ${JSON.stringify(threshold)}\n\n`);

    await readUntil(reader, ': heartbeat\n\n');

    abort.abort();
    await reader.cancel().catch(() => undefined);
    await tracked.allUnsubscribed;
    expect(bus.listenerCount('usage')).toBe(0);
    expect(bus.listenerCount('threshold')).toBe(0);
    expect(bus.listenerCount('budget_exceeded')).toBe(0);
  });

  it("serves the same stream at seed 000's /v1/logs, rate_limited and health_check_failed included", async () => {
    const bus = new EventBus();
    fx = await setup({ events: bus });
    const abort = new AbortController();
    const res = await fetch(`${fx.server.url}/v1/logs`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, ': connected\n\n');
    const exceeded = { budgetId: 'daily', scope: 'daily' as const, key: 'global', action: 'deny' as const, spentUsd: 5, limitUsd: 5, attemptedUsd: 0.1, time: NOW };
    const limited = { provider: 'openai', limit: 'rpm' as const, action: 'reject' as const, used: 60, max: 60, retryAfterMs: 1000, time: NOW };
    const health = { failed: [{ check: 'store', error: 'down' }], time: NOW };
    bus.emit('budget_exceeded', exceeded);
    bus.emit('rate_limited', limited);
    bus.emit('health_check_failed', health);
    const full = await readUntil(reader, `event: health_check_failed\ndata: ${JSON.stringify(health)}\n\n`);
    expect(full).toContain(`event: budget_exceeded\ndata: ${JSON.stringify(exceeded)}\n\n`);
    expect(full).toContain(`event: rate_limited\ndata: ${JSON.stringify(limited)}\n\n`);
    abort.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('lets close() end the server while an event stream is open', async () => {
    fx = await setup();
    const res = await fetch(`${fx.server.url}/v1/events`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, ': connected');
    await fx.server.close();
    await fx.server.close(); // idempotent
    // The stream ends (cleanly or with a reset): nothing keeps the connection open.
    const drain = async (): Promise<void> => {
      for (;;) if ((await reader.read()).done) return;
    };
    await expect(drain().then(() => 'ended', () => 'ended')).resolves.toBe('ended');
    fx = undefined;
  });
});
