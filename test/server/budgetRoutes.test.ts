import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture;
beforeEach(async () => {
  fx = await startFixture();
});
afterEach(async () => {
  await fx.server.close();
});

const json = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

function send(method: string, path: string, body: unknown, headers: Record<string, string> = json): ReturnType<typeof rawRequest> {
  return rawRequest(fx.server.port, { method, path, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('budget routes', () => {
  it('refuses a body that is not declared JSON (415), so a cross-site text/plain or form post never reaches the engine', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await send('POST', '/v1/budgets', { scope: 'daily', maxUsd: 5 }, { authorization: `Bearer ${ADMIN}`, 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(JSON.parse(res.text).error).toMatch(/Content-Type: application\/json/);
    }
    expect((await send('POST', '/v1/budgets', { scope: 'daily', maxUsd: 5 }, { authorization: `Bearer ${ADMIN}` })).status).toBe(415);
    expect(fx.engine.list()).toEqual([]);
    const ok = await send('POST', '/v1/budgets', { scope: 'daily', maxUsd: 5 }, { ...json, 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(201);
  });

  it('refuses a second POST of the same id with 409 and keeps the first', async () => {
    expect((await send('POST', '/v1/budgets', { id: 'team-a', scope: 'daily', maxUsd: 5 })).status).toBe(201);
    const again = await send('POST', '/v1/budgets', { id: 'team-a', scope: 'monthly', maxUsd: 50 });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error).toBe('a budget with id "team-a" exists; replace it with PUT /v1/budgets/team-a, or choose another id');
    expect(fx.engine.list()).toMatchObject([{ id: 'team-a', scope: 'daily', maxUsd: 5 }]);
    // The default id (from scope and filters) counts as the same id.
    expect((await send('POST', '/v1/budgets', { scope: 'daily', maxUsd: 1 })).status).toBe(201);
    expect((await send('POST', '/v1/budgets', { scope: 'daily', maxUsd: 2 })).status).toBe(409);
  });

  it('replaces explicitly with PUT (200 replaced, 201 created) and refuses a body id that differs from the path', async () => {
    let res = await send('PUT', '/v1/budgets/team-b', { scope: 'daily', maxUsd: 5 });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ replaced: false, budget: { id: 'team-b', maxUsd: 5 } });
    res = await send('PUT', '/v1/budgets/team-b', { scope: 'daily', maxUsd: 7, onExceed: 'warn' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ replaced: true, budget: { id: 'team-b', maxUsd: 7, onExceed: 'warn' } });
    expect(fx.engine.list()).toMatchObject([{ id: 'team-b', maxUsd: 7 }]);
    res = await send('PUT', '/v1/budgets/team-b', { id: 'other', scope: 'daily', maxUsd: 7 });
    expect(res.status).toBe(400);
    expect((await send('PUT', '/v1/budgets/team-b', { scope: 'daily', maxUsd: 1 }, { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await send('PUT', '/v1/budgets/team-b', { scope: 'daily', maxUsd: 1 }, { 'content-type': 'application/json' })).status).toBe(401);
  });

  it('answers 400 for an invalid budget on POST and PUT, naming the field', async () => {
    const res = await send('POST', '/v1/budgets', { scope: 'fortnightly', maxUsd: 1 });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatch(/^invalid budget: budget\.scope must be one of/);
    expect((await send('PUT', '/v1/budgets/x', { scope: 'daily', maxUsd: 0 })).status).toBe(400);
  });

  it('lists budgets with their status and the pause state', async () => {
    await send('POST', '/v1/budgets', { id: 'd', scope: 'daily', maxUsd: 3 });
    const res = await rawRequest(fx.server.port, { path: '/v1/budgets' });
    expect(JSON.parse(res.text)).toMatchObject({ budgets: [{ id: 'd' }], status: [{ budget: { id: 'd' }, limitUsd: 3 }], pause: { paused: false } });
  });

  it('accepts limits of $10M and $1T and refuses one above 1e15 with 400, storing nothing', async () => {
    const huge = await send('POST', '/v1/budgets', '{"id":"huge","scope":"total","maxUsd":1e308}');
    expect(huge.status).toBe(400);
    expect(JSON.parse(huge.text)).toEqual({ error: 'invalid budget: budget.maxUsd must be a number of USD greater than 0 and at most 1e15; got 1e+308' });
    expect(await fx.ledger.listBudgets()).toEqual([]);
    expect((await send('POST', '/v1/budgets', { id: 'ten-million', scope: 'daily', maxUsd: 1e7 })).status).toBe(201);
    expect((await send('PUT', '/v1/budgets/trillion', { scope: 'total', maxUsd: 1e12 })).status).toBe(201);
    const status = await rawRequest(fx.server.port, { path: '/v1/budgets', headers: json });
    expect(status.text).toContain('"limitUsd":1000000000000');
    expect((await fx.ledger.listBudgets()).map((b) => [b.id, b.spec.maxUsd])).toEqual([
      ['ten-million', 1e7],
      ['trillion', 1e12],
    ]);
  });
});
