import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PAUSE_RECORD_ID } from '../../src/budget/PauseSwitch.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { call } from '../budget/engineHarness.js';
import { ADMIN, READER, rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture;
beforeEach(async () => {
  fx = await startFixture({ readToken: READER });
});
afterEach(async () => {
  await fx.server.close();
});

const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

describe('pause routes (the kill switch over HTTP)', () => {
  it('POST /v1/pause makes the engine refuse the next call; POST /v1/resume admits again', async () => {
    const paused = await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause', headers: admin, body: '{"reason":"runaway agent"}' });
    expect(paused.status).toBe(200);
    expect(JSON.parse(paused.text)).toMatchObject({ paused: true, reason: 'runaway agent' });
    expect(() => fx.engine.admit(call(10))).toThrow(BudgetExceededError);
    const state = await rawRequest(fx.server.port, { path: '/v1/pause', headers: { authorization: `Bearer ${READER}` } });
    expect(JSON.parse(state.text)).toMatchObject({ paused: true, reason: 'runaway agent' });
    // Stored beside the budgets, not listed as one.
    expect((await fx.ledger.listBudgets()).map((b) => b.id)).toEqual([PAUSE_RECORD_ID]);
    expect(fx.engine.list()).toEqual([]);

    const resumed = await rawRequest(fx.server.port, { method: 'POST', path: '/v1/resume', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(resumed.status).toBe(200);
    expect(JSON.parse(resumed.text)).toEqual({ paused: false, resumed: true });
    expect(fx.engine.admit(call(10))).toMatchObject({ decision: 'allow' });
  });

  it('pauses without a body, with a default reason', async () => {
    const res = await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(JSON.parse(res.text)).toMatchObject({ paused: true, reason: 'paused' });
  });

  it('refuses without the admin token (401; 403 when none is configured), and a non-JSON body (415)', async () => {
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause' })).status).toBe(401);
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause', headers: { authorization: `Bearer ${READER}` } })).status).toBe(401);
    expect(
      (await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' }, body: 'x' })).status,
    ).toBe(415);
    expect(fx.engine.killSwitch.paused).toBe(false);
    await fx.engine.killSwitch.pause('on');
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/resume' })).status).toBe(401);
    expect(fx.engine.killSwitch.paused).toBe(true);
    await fx.server.close();
    fx = await startFixture({ adminToken: undefined });
    expect((await rawRequest(fx.server.port, { method: 'POST', path: '/v1/pause' })).status).toBe(403);
  });
});
