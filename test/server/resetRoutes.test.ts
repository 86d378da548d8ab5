import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Admission } from '../../src/budget/CallTypes.js';
import { call, finished } from '../budget/engineHarness.js';
import { startFakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';
import { ADMIN, READER, rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function fixture(overrides: Parameters<typeof startFixture>[0] = { readToken: READER }): Promise<ServerFixture> {
  const fx = await startFixture(overrides);
  closers.push(() => fx.server.close());
  return fx;
}

const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

describe('reset routes', () => {
  it('POST /v1/sessions/:id/reset sets the session counters to zero and logs the actor; GET /v1/resets lists the log', async () => {
    const fx = await fixture();
    await fx.engine.add({ id: 'cap', scope: 'session', maxUsd: 0.000001 });
    const a = fx.engine.admit(call(800, { session: 'S 1/x' })) as Admission;
    fx.engine.finish(a, finished(a.id, 800, { session: 'S 1/x' }));
    await fx.engine.forceFlush();
    expect(() => fx.engine.admit(call(800, { session: 'S 1/x' }))).toThrow(BudgetExceededError);

    const res = await rawRequest(fx.server.port, { method: 'POST', path: `/v1/sessions/${encodeURIComponent('S 1/x')}/reset`, headers: admin, body: '{"actor":"alice"}' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { target: string; actor: string; time: number; budgetIds: string[] };
    expect(body).toMatchObject({ target: 'session:S 1/x', actor: 'alice', budgetIds: ['cap'] });
    expect(fx.engine.admit(call(800, { session: 'S 1/x' }))).toMatchObject({ decision: 'allow' });
    // History stays.
    expect(await fx.ledger.usage({ by: 'session' })).toMatchObject([{ key: 'S 1/x', calls: 2, costNanos: 800 }]);

    const noBody = await rawRequest(fx.server.port, { method: 'POST', path: '/v1/sessions/S-2/reset', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(JSON.parse(noBody.text)).toMatchObject({ target: 'session:S-2', actor: 'http' });

    const log = await rawRequest(fx.server.port, { path: '/v1/resets', headers: { authorization: `Bearer ${READER}` } });
    expect(log.status).toBe(200);
    expect((JSON.parse(log.text) as { resets: unknown[] }).resets).toEqual([
      { target: 'session:S-2', actor: 'http', time: expect.any(Number) },
      { target: 'session:S 1/x', actor: 'alice', time: body.time },
    ]);
    const one = await rawRequest(fx.server.port, { path: '/v1/resets?limit=1', headers: { authorization: `Bearer ${READER}` } });
    expect((JSON.parse(one.text) as { resets: unknown[] }).resets).toHaveLength(1);
    expect((await rawRequest(fx.server.port, { path: '/v1/resets?limit=0', headers: { authorization: `Bearer ${READER}` } })).status).toBe(400);
  });

  it('needs the admin token (401; 403 when none is configured) and rejects a bad actor (400)', async () => {
    const fx = await fixture();
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/sessions/S-1/reset' })).status).toBe(401);
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/sessions/S-1/reset', headers: { authorization: `Bearer ${READER}` } })).status).toBe(401);
    const bad = await rawRequest(fx.server.port, { method: 'POST', path: '/v1/sessions/S-1/reset', headers: admin, body: '{"actor":42}' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({ error: '"actor" must be a non-empty string (who asked for the reset)' });
    expect((await rawRequest(fx.server.port, { method: 'GET', path: '/v1/sessions/S-1/reset', headers: admin })).status).toBe(405);
    expect((await rawRequest(fx.server.port, { path: '/v1/resets' })).status).toBe(401);
    expect(await fx.ledger.resets()).toEqual([]);
    const closed = await fixture({ adminToken: undefined });
    expect((await rawRequest(closed.server.port, { method: 'POST', path: '/v1/sessions/S-1/reset' })).status).toBe(403);
  });

  it('a real client denied in a session is allowed again after POST /v1/sessions/:id/reset on tollgate.serve()', async () => {
    ensureContextManager();
    const fake = await startFakeOpenAI({ outputTokens: 400 });
    closers.push(() => fake.close());
    const t = createTollgate({
      store: 'memory:',
      configFile: false,
      env: {},
      guardFetch: false,
      quiet: true,
      budgets: [{ id: 'session-cap', scope: 'session', maxUsd: 0.005 }],
      server: { adminToken: ADMIN },
    });
    closers.push(() => t.shutdown());
    const server = await t.serve({ port: 0 });
    const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t);
    const ask = (): Promise<string> =>
      t.session('S-1', () =>
        client.chat.completions.create({ model: 'gpt-4o', max_tokens: 400, messages: [{ role: 'user', content: 'go' }] }).then(
          () => 'allowed',
          (err: unknown) => (err instanceof BudgetExceededError ? 'denied' : Promise.reject(err)),
        ),
      );
    expect([await ask(), await ask()]).toEqual(['allowed', 'denied']);
    const res = await fetch(`${server.url}/v1/sessions/S-1/reset`, { method: 'POST', headers: admin, body: JSON.stringify({ actor: 'on-call' }) });
    expect(res.status).toBe(200);
    expect(await ask()).toBe('allowed');
    await t.forceFlush();
    const usage = (await (await fetch(`${server.url}/v1/usage?by=session`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      groups: { key: string; calls: number }[];
    };
    // Two calls reached the provider and one was refused: all three stay in the history.
    expect(usage.groups).toMatchObject([{ key: 'S-1', calls: 3 }]);
    expect(fake.requests.length).toBe(2);
  });
});
