import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import type { RunningServer } from '../../src/server/startServer.js';
import { chromiumStatus, launchChromium } from '../helpers/chromium.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const READ = 'page-read-token';
const status = chromiumStatus();
if (!status.run) console.warn(`test/web/readToken.test.ts ${status.skipReason}`);

let tollgate: Tollgate;
let server: RunningServer;
let browser: Browser;

describe.runIf(status.run)('the web page on a server that needs a read token', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'buildWeb.mjs')]);
    tollgate = createTollgate({ configFile: false, env: {}, store: 'memory:', guardFetch: false, quiet: true, budgetRefreshMs: 0, server: { readToken: READ } });
    server = await tollgate.serve({ port: 0, host: '127.0.0.1' });
    await tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 10, inputTokens: 100 }, (c) => c.setUsage({ input: 100, output: 10 }));
    await tollgate.forceFlush();
    browser = await launchChromium(status);
  });

  afterAll(async () => {
    await browser?.close();
    await tollgate?.shutdown();
  });

  it('says a token is needed, loads once it is entered, and keeps it in session storage only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('#banner:has-text("needs a token to read")', { timeout: 5_000 });
    expect(await page.getAttribute('[data-testid=total-all]', 'data-usd')).toBeNull();
    await page.fill('#token', READ);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 5_000 });
    const res = await fetch(`${server.url}/v1/usage`, { headers: { authorization: `Bearer ${READ}` } });
    const total = ((await res.json()) as { total: { costUsd: number } }).total.costUsd;
    expect(Number(await page.getAttribute('[data-testid=total-all]', 'data-usd'))).toBe(total);
    await page.waitForSelector('#live-state[data-state="live"]', { timeout: 5_000 });
    expect(await page.evaluate<[string | null, string | null]>("[sessionStorage.getItem('tollgate.token'), localStorage.getItem('tollgate.token')]")).toEqual([READ, null]);
    expect(await page.isHidden('#banner')).toBe(true);
    await context.close();
  });
});
