/**
 * The package as a user gets it: `npm pack` (of the build `npm run test:e2e` just made), then a
 * fresh project installs the tarball from the registry like any dependency, with openai. From
 * that clean install: an ES module app prices a call through instrumentOpenAI on the default
 * SQLite store and catches a deny as BudgetExceededError, without loading the tokenizer until an
 * OpenAI estimate needs it; a CommonJS `require('tollgate')` gets an error naming the fix; and the
 * install size is measured (`du` of the fresh node_modules), as README states it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
/** The openai line installed beside the tarball (TOLLGATE_PACKED_OPENAI, e.g. 7 in the Node 24 leg). */
const OPENAI_RANGE = process.env.TOLLGATE_PACKED_OPENAI ?? '6';

const ESM_APP = `
import { createRequire } from 'node:module';
import OpenAI from 'openai';
import { BudgetExceededError, createTollgate } from 'tollgate';
import { instrumentOpenAI } from 'tollgate/openai';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('gpt-tokenizer')).length > 0;
const out = { tokenizerAtStart: loaded() };
const tollgate = createTollgate({ store: 'sqlite:' + process.env.LEDGER, configFile: false, budgets: [{ id: 'day', scope: 'daily', maxUsd: 1, onExceed: 'deny' }] });
out.tokenizerAfterCreate = loaded();
await tollgate.llm({ model: 'claude-sonnet-4', inputTokens: 10, maxTokens: 10 }, (c) => c.setUsage({ input: 10, output: 10 }));
out.tokenizerAfterOtherModel = loaded();
const openai = instrumentOpenAI(new OpenAI({ maxRetries: 0 }), tollgate);
const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'one two three' }] });
out.tokenizerAfterOpenAI = loaded();
out.reply = reply.choices[0].message.content;
await tollgate.addBudget({ id: 'freeze', scope: 'total', maxUsd: 0.000001, onExceed: 'deny' });
try {
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] });
} catch (err) {
  out.denied = err instanceof BudgetExceededError ? err.budgetId : String(err);
}
out.usage = await tollgate.usage({ by: 'model', where: { status: 'ok' } });
await tollgate.shutdown();
process.stdout.write(JSON.stringify(out));
`;

const CJS_CONSUMER = `
const out = {};
try {
  require('tollgate');
} catch (err) {
  out.code = err.code;
  out.message = err.message;
}
import('tollgate').then((m) => {
  out.importWorks = typeof m.createTollgate === 'function';
  process.stdout.write(JSON.stringify(out));
});
`;

async function duKb(path: string): Promise<number> {
  const { stdout } = await run('du', ['-sk', path]);
  return Number(stdout.split('\t')[0]);
}

describe('the packed tarball, installed into a fresh project', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let installSeconds = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-packed-'));
    fake = await startFakeOpenAI({ outputTokens: 4 });
    const packDir = join(dir, 'pack');
    mkdirSync(packDir);
    // --ignore-scripts: `npm run test:e2e` built dist/ just before (prepack would build it again).
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT });
    const [tarball] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, version: '1.0.0' }));
    const started = Date.now();
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, tarball!), `openai@${OPENAI_RANGE}`], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });
    installSeconds = (Date.now() - started) / 1000;
  }, 900_000);

  afterAll(async () => {
    await fake?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('an ES module app: priced on the default SQLite store, a deny caught as BudgetExceededError, the tokenizer loaded only for an OpenAI estimate', async () => {
    const app = join(dir, 'app');
    writeFileSync(join(app, 'app.mjs'), ESM_APP);
    const { stdout, stderr } = await run(process.execPath, ['app.mjs'], {
      cwd: app,
      // Budget warnings are log lines on stderr at the default level; this app checks its stderr is otherwise empty.
      env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test', LEDGER: join(dir, 'ledger.db'), TOLLGATE_LOG_LEVEL: 'error' },
    });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      tokenizerAtStart: false,
      tokenizerAfterCreate: false,
      tokenizerAfterOtherModel: false,
      tokenizerAfterOpenAI: true,
      reply: 'tok0 tok1 tok2 tok3',
      denied: 'freeze',
    });
    // gpt-4o-mini: 3 in × 150 + 4 out × 600 nano-USD.
    expect(out.usage).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'gpt-4o-mini', calls: 1, inputTokens: 3, outputTokens: 4, costNanos: 2_850 })]));
  });

  it('a CommonJS consumer: require() throws an error naming the fix, import() works', async () => {
    const app = join(dir, 'app');
    writeFileSync(join(app, 'consumer.cjs'), CJS_CONSUMER);
    const { stdout, stderr } = await run(process.execPath, ['consumer.cjs'], { cwd: app });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.code).toBe('ERR_REQUIRE_ESM');
    expect(out.message).toBe("tollgate is an ES module: use import ... or await import('tollgate') (Node >= 20)");
    expect(out.importWorks).toBe(true);
  });

  it('install size: measured with du on the fresh node_modules', async ({ annotate }) => {
    const modules = join(dir, 'app', 'node_modules');
    const sizes = {
      total: await duKb(modules),
      tollgate: await duKb(join(modules, 'tollgate')),
      gptTokenizer: await duKb(join(modules, 'gpt-tokenizer')),
      betterSqlite3: await duKb(join(modules, 'better-sqlite3')),
      opentelemetry: await duKb(join(modules, '@opentelemetry')),
      openai: await duKb(join(modules, 'openai')),
    };
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    await annotate(
      `node ${process.version}, openai ${OPENAI_RANGE}, npm install took ${installSeconds.toFixed(0)} s: node_modules ${mb(sizes.total)} ` +
        `(tollgate ${mb(sizes.tollgate)}, gpt-tokenizer ${mb(sizes.gptTokenizer)}, better-sqlite3 ${mb(sizes.betterSqlite3)}, ` +
        `@opentelemetry ${mb(sizes.opentelemetry)}, openai ${mb(sizes.openai)})`,
    );
    // Ceilings that catch a regression (a new heavy dependency, test code in the package): measured
    // 167.6 MB in all on Node 20 with openai 6, of which tollgate 2.5 MB and better-sqlite3 26.7 MB
    // (compiled from source: its build folder stays).
    expect(sizes.total).toBeLessThan(190 * 1024);
    expect(sizes.tollgate).toBeLessThan(8 * 1024);
  });
});
