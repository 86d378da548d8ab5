import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, READER, rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture | undefined;
afterEach(async () => {
  await fx?.server.close();
  fx = undefined;
});

const READ_ROUTES = ['/v1/usage', '/v1/budgets', '/v1/traces', '/v1/status', '/v1/pause', '/v1/events'];

describe('readGuard (TOLLGATE_READ_TOKEN)', () => {
  it('on loopback without a read token, reading needs no token', async () => {
    fx = await startFixture();
    expect((await rawRequest(fx.server.port, { path: '/v1/usage' })).status).toBe(200);
  });

  it('with a read token, every read route refuses a missing or wrong token (401) and takes the read or the admin token', async () => {
    fx = await startFixture({ readToken: READER });
    const port = fx.server.port;
    for (const path of READ_ROUTES) {
      const none = await rawRequest(port, { path });
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect((await rawRequest(port, { path, headers: { authorization: `Bearer ${READER}x` } })).status, path).toBe(401);
    }
    for (const path of READ_ROUTES.filter((p) => p !== '/v1/events')) {
      expect((await rawRequest(port, { path, headers: { authorization: `Bearer ${READER}` } })).status, path).toBe(200);
      expect((await rawRequest(port, { path, headers: { authorization: `Bearer ${ADMIN}` } })).status, path).toBe(200);
    }
    // /metrics and /healthz stay open (scrapers and probes); the read token does not grant writes.
    expect((await rawRequest(port, { path: '/metrics' })).status).toBe(200);
    expect((await rawRequest(port, { path: '/healthz' })).status).toBe(200);
    const write = await rawRequest(port, { method: 'POST', path: '/v1/pause', headers: { authorization: `Bearer ${READER}` } });
    expect(write.status).toBe(401);
  });

  it('bound beyond loopback, reading needs a token by default: 403 while none is configured, then the token', async () => {
    fx = await startFixture({ adminToken: undefined }, { port: 0, host: '0.0.0.0' });
    const res = await rawRequest(fx.server.port, { path: '/v1/usage' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).error).toMatch(/set TOLLGATE_READ_TOKEN/);
    await fx.server.close();
    fx = await startFixture({ readToken: READER }, { port: 0, host: '0.0.0.0' });
    expect((await rawRequest(fx.server.port, { path: '/v1/usage' })).status).toBe(401);
    expect((await rawRequest(fx.server.port, { path: '/v1/usage', headers: { authorization: `Bearer ${READER}` } })).status).toBe(200);
  });

  it('requireReadToken: false opens reading beyond loopback on purpose', async () => {
    fx = await startFixture({ requireReadToken: false }, { port: 0, host: '0.0.0.0' });
    expect((await rawRequest(fx.server.port, { path: '/v1/usage' })).status).toBe(200);
  });
});
