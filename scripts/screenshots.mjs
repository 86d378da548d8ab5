// Screenshots of the page's overview for README (docs/overview-1280x800.png, docs/overview-phone.png),
// taken on the demo's data: runs `tollgate demo --fast --hold 60` on a free port, opens the page in
// Debian's Chromium (playwright-core), saves both sizes, stops the demo.
// Usage (after npm run build): node scripts/screenshots.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chromiumPath = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
if (chromiumPath === '') throw new Error('chromium is not on PATH (apt-get install chromium)');
const db = join(tmpdir(), `tollgate-screenshots-${process.pid}.db`);
const demo = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'demo', '--fast', '--port', '0', '--hold', '60', '--db', db], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
const url = await new Promise((resolveUrl, reject) => {
  demo.stderr.on('data', (chunk) => {
    stderr += chunk;
    const page = /^open (http:\/\/\S+\/) /m.exec(stderr);
    if (page !== null && /holding/.test(stderr)) resolveUrl(page[1]);
  });
  demo.once('exit', (code) => reject(new Error(`the demo exited (${code}) before holding:\n${stderr}`)));
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  mkdirSync(join(root, 'docs'), { recursive: true });
  for (const [name, viewport, colorScheme] of [
    ['overview-1280x800.png', { width: 1280, height: 800 }, 'light'],
    ['overview-phone.png', { width: 390, height: 844 }, 'dark'],
  ]) {
    const page = await browser.newPage({ viewport, colorScheme });
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForSelector('#chart .uplot');
    await page.screenshot({ path: join(root, 'docs', name) });
    await page.close();
    console.log(`docs/${name}`);
  }
} finally {
  await browser.close();
  demo.kill('SIGINT');
  rmSync(db, { force: true });
}
