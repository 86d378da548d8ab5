import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, startFixture } from './serverFixture.js';
import type { ServerFixture } from './serverFixture.js';

let fx: ServerFixture | undefined;
afterEach(async () => {
  await fx?.server.close();
  fx = undefined;
});

function webRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="app.js"></script>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, '.secret.js'), 'no');
  return dir;
}

describe('the page at /', () => {
  it('serves index.html and its assets with a CSP without inline script, no-sniff and no framing', async () => {
    fx = await startFixture({ webRoot: webRoot() });
    const page = await rawRequest(fx.server.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const js = await rawRequest(fx.server.port, { path: '/app.js' });
    expect(js).toMatchObject({ status: 200, text: 'console.log(1)' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-security-policy']).toBe(csp);
    const head = await rawRequest(fx.server.port, { method: 'HEAD', path: '/' });
    expect(head).toMatchObject({ status: 200, text: '' });
  });

  it('serves nothing outside its folder, no dot files and no unknown types', async () => {
    fx = await startFixture({ webRoot: webRoot() });
    for (const path of ['/.secret.js', '/../package.json', '/%2e%2e/package.json', '/index.ts', '/missing.js']) {
      expect((await rawRequest(fx.server.port, { path })).status, path).toBe(404);
    }
  });

  it('says how to build the page when it is not built, and serves none with webRoot false', async () => {
    fx = await startFixture({ webRoot: mkdtempSync(join(tmpdir(), 'tollgate-empty-')) });
    const res = await rawRequest(fx.server.port, { path: '/' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error).toMatch(/the web page is not built .*run npm run build/);
    await fx.server.close();
    fx = await startFixture({ webRoot: false });
    expect(JSON.parse((await rawRequest(fx.server.port, { path: '/' })).text).error).toBe('no route /');
  });

  it('JSON answers say nosniff too', async () => {
    fx = await startFixture();
    expect((await rawRequest(fx.server.port, { path: '/v1/usage' })).headers['x-content-type-options']).toBe('nosniff');
  });
});
