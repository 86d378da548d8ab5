import { afterEach, describe, expect, it } from 'vitest';
import { defaultAllowedHosts, hostNameOf, isLoopbackHost } from '../../src/server/hostGuard.js';
import { rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture | undefined;
afterEach(async () => {
  await fx?.server.close();
  fx = undefined;
});

describe('hostGuard (DNS rebinding)', () => {
  it('reads host names without port, brackets, case or trailing dot', () => {
    expect(hostNameOf('LocalHost:9464')).toBe('localhost');
    expect(hostNameOf('[::1]:9464')).toBe('::1');
    expect(hostNameOf('example.com.')).toBe('example.com');
    expect(hostNameOf('127.0.0.1')).toBe('127.0.0.1');
  });

  it('knows loopback addresses and the default names per bound address', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.0.1.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('10.1.2.3')).toBe(false);
    expect(defaultAllowedHosts('127.0.0.1')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(defaultAllowedHosts('10.1.2.3')).toEqual(['localhost', '127.0.0.1', '::1', '10.1.2.3']);
    expect(defaultAllowedHosts('0.0.0.0')).toBeUndefined();
    expect(defaultAllowedHosts('::')).toBeUndefined();
  });

  it('a loopback server refuses a rebound Host (403, nothing served) and answers its own names', async () => {
    fx = await startFixture();
    const port = fx.server.port;
    for (const path of ['/v1/usage', '/metrics', '/v1/budgets', '/']) {
      const res = await rawRequest(port, { path, headers: { host: `attacker.example:${port}` } });
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.text).error).toMatch(/host "attacker\.example:\d+" is not served here \(DNS rebinding protection\)/);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(port, { path: '/v1/usage', headers: { host } })).status, host).toBe(200);
    }
  });

  it('refuses a rebound POST before it reaches the admin route', async () => {
    fx = await startFixture();
    const res = await rawRequest(fx.server.port, {
      method: 'POST',
      path: '/v1/pause',
      headers: { host: 'rebind.example', authorization: 'Bearer admin-t0ken' },
    });
    expect(res.status).toBe(403);
    expect(fx.engine.killSwitch.paused).toBe(false);
  });

  it('answers configured names only, or any with "*"', async () => {
    fx = await startFixture({ allowedHosts: ['tollgate.internal'] });
    expect((await rawRequest(fx.server.port, { path: '/healthz', headers: { host: 'tollgate.internal:80' } })).status).toBe(200);
    expect((await rawRequest(fx.server.port, { path: '/healthz', headers: { host: 'localhost' } })).status).toBe(403);
    await fx.server.close();
    fx = await startFixture({ allowedHosts: ['*'] });
    expect((await rawRequest(fx.server.port, { path: '/healthz', headers: { host: 'anything.example' } })).status).toBe(200);
  });
});
