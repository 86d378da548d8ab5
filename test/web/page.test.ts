import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/createTollgate.js';
import type { RunningServer } from '../../src/server/startServer.js';
import { chromiumStatus, launchChromium } from '../helpers/chromium.js';
import { ensureContextManager } from '../helpers/otel.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WEB_ROOT = join(ROOT, 'dist', 'web');
const ADMIN = 'page-admin-token';
const status = chromiumStatus();
if (!status.run) console.warn(`test/web/page.test.ts ${status.skipReason}`);

let tollgate: Tollgate;
let server: RunningServer;
let browser: Browser;

async function usageTotal(since?: number): Promise<number> {
  const res = await fetch(`${server.url}/v1/usage${since === undefined ? '' : `?since=${since}`}`);
  return ((await res.json()) as { total: { costUsd: number } }).total.costUsd;
}

async function budgetIds(): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/budgets`);
  return ((await res.json()) as { budgets: { id: string }[] }).budgets.map((b) => b.id);
}

/** A settled call through the real driver: the page sees it like any other. */
async function makeCall(task: string, input = 1200, output = 300): Promise<void> {
  await tollgate.task(task, () => tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 400, inputTokens: input }, (c) => c.setUsage({ input, output, cacheRead: 200 })));
  await tollgate.forceFlush();
}

/** Opens the page; console errors and page errors are collected. */
async function openPage(viewport = { width: 1280, height: 800 }, token?: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(server.url);
  if (token !== undefined) {
    await page.fill('#token', token);
    await page.click('#token-form button[type=submit]');
  }
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
  return { page, errors };
}

describe.runIf(status.run)('the web page in Chromium', () => {
  beforeAll(async () => {
    ensureContextManager();
    if (!existsSync(join(WEB_ROOT, 'index.html'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'buildWeb.mjs')]);
    tollgate = createTollgate({
      configFile: false,
      env: {},
      store: 'memory:',
      guardFetch: false,
      quiet: true,
      budgetRefreshMs: 0,
      server: { adminToken: ADMIN },
      budgets: [{ id: 'daily', scope: 'daily', maxUsd: 5, onExceed: 'deny' }, { id: 'tasks', scope: 'task', maxUsd: 1, onExceed: 'warn' }],
    });
    await tollgate.ready;
    server = await tollgate.serve({ port: 0, host: '127.0.0.1' });
    for (const task of ['T-research', 'T-summary', 'T-research']) await makeCall(task);
    browser = await launchChromium(status);
  });

  afterAll(async () => {
    await browser?.close();
    await tollgate?.shutdown();
  });

  it('loads with no console errors, and its totals equal /v1/usage', async () => {
    const { page, errors } = await openPage();
    const shown = Number(await page.getAttribute('[data-testid=total-all]', 'data-usd'));
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBe(await usageTotal());
    const today = new Date();
    const dayStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
    expect(Number(await page.getAttribute('[data-testid=total-today]', 'data-usd'))).toBe(await usageTotal(dayStart));
    expect(await page.textContent('[data-testid=budgets]')).toContain('daily');
    await page.waitForSelector('#chart .uplot', { timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows a call made by the test within 2 s', async () => {
    const { page, errors } = await openPage();
    await page.waitForSelector('#live-state[data-state="live"]', { timeout: 5_000 });
    const started = Date.now();
    await makeCall('T-live-check');
    await page.waitForSelector('#live-rows tr:has-text("T-live-check")', { timeout: 2_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    const row = await page.textContent('#live-rows tr:has-text("T-live-check")');
    expect(row).toContain('gpt-4o-mini');
    expect(row).toContain('1,200 / 300');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('adds a budget from the page with the admin token, and it shows in /v1/budgets', async () => {
    const { page } = await openPage(undefined, ADMIN);
    await page.fill('#budget-form [name=id]', 'from-the-page');
    await page.selectOption('#budget-form [name=scope]', 'monthly');
    await page.fill('#budget-form [name=maxUsd]', '7.5');
    await page.click('#budget-form button[type=submit]');
    await page.waitForSelector('[data-testid=admin-msg]:has-text("Saved budget from-the-page")', { timeout: 5_000 });
    expect(await budgetIds()).toContain('from-the-page');
    await page.waitForSelector('tr[data-budget="from-the-page"]', { timeout: 5_000 });
    await page.context().close();
  });

  it('the pause switch denies the next call, and resuming admits again', async () => {
    const { page } = await openPage(undefined, ADMIN);
    await page.fill('#pause-reason', 'browser test');
    await page.click('[data-testid=pause-toggle]');
    await page.waitForSelector('[data-testid=pause-badge]:has-text("PAUSED: browser test")', { timeout: 5_000 });
    await expect(makeCall('T-after-pause')).rejects.toBeInstanceOf(BudgetExceededError);
    await page.click('[data-testid=pause-toggle]');
    await page.waitForSelector('[data-testid=pause-badge]', { state: 'hidden', timeout: 5_000 });
    await makeCall('T-after-resume');
    await page.context().close();
  });

  it('without the token, admin controls are refused', async () => {
    const { page } = await openPage();
    await page.fill('#budget-form [name=id]', 'no-token');
    await page.fill('#budget-form [name=maxUsd]', '1');
    await page.click('#budget-form button[type=submit]');
    await page.waitForSelector('[data-testid=admin-msg]:has-text("Refused (401)")', { timeout: 5_000 });
    expect(await budgetIds()).not.toContain('no-token');
    await page.click('[data-testid=pause-toggle]');
    await page.waitForSelector('[data-testid=admin-msg]:has-text("Refused (401)")', { timeout: 5_000 });
    expect(tollgate.budgets.killSwitch.paused).toBe(false);
    await page.context().close();
  });

  it('is usable on a phone (no sideways scroll) and its controls are reachable with the keyboard', async () => {
    const { page, errors } = await openPage({ width: 390, height: 844 });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const reached = new Set<string>();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate<string>("document.activeElement?.id || document.activeElement?.getAttribute('name') || ''"));
    }
    for (const id of ['token', 'theme', 'chart-by', 'pause-reason', 'pause-toggle', 'maxUsd']) expect(reached, id).toContain(id);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('lists the unpriced calls of /v1/status on the overview: provider, model, unit and counts', async () => {
    const { page, errors } = await openPage();
    await page.waitForSelector('#unpriced-rows td:has-text("None: every call so far was priced from price data")', { timeout: 5_000 });
    // Two calls with code interpreter items (the price data has no price for them), one of a model no price data knows.
    for (let i = 0; i < 2; i++) {
      await tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 50, inputTokens: 100 }, (c) => c.setUsage({ input: 100, output: 20, codeInterpreterCalls: 1 }));
    }
    await tollgate.llm({ model: 'acme-unlisted-1', provider: 'acme', maxTokens: 10, inputTokens: 10 }, (c) => c.setUsage({ input: 10, output: 5 }));
    await tollgate.forceFlush();
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as { unpricedCalls: { provider: string; model: string; calls: number; units: { unit: string; calls: number }[] }[] };
    expect(status.unpricedCalls).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini', calls: 2, units: [{ unit: 'code_interpreter', calls: 2 }] },
      { provider: 'acme', model: 'acme-unlisted-1', calls: 1, units: [{ unit: 'model', calls: 1 }] },
    ]);
    await page.waitForSelector('tr[data-unpriced="acme/acme-unlisted-1"]', { timeout: 10_000 });
    for (const s of status.unpricedCalls) {
      const cells = await page.$$eval(`tr[data-unpriced="${s.provider}/${s.model}"] td`, (tds) => tds.map((td) => td.textContent ?? ''));
      expect(cells.slice(0, 3)).toEqual([s.provider, s.model, String(s.calls)]);
      for (const u of s.units) expect(cells[3]).toContain(`${u.unit === 'model' ? 'model (no price)' : u.unit} ×${u.calls}`);
    }
    expect(await page.getAttribute('tr[data-unpriced="openai/gpt-4o-mini"] [data-unit=code_interpreter]', 'title')).toBe('price it with code_interpreter_per_call in pricing.overrides');
    expect(await page.textContent('#unpriced-count')).toBe('3 calls');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
