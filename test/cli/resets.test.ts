import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../../instrumentations/openai/index.js';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { createTollgate } from '../../src/createTollgate.js';
import { startFakeOpenAI } from '../fakes/index.js';
import type { FakeOpenAI } from '../fakes/index.js';
import { ensureContextManager } from '../helpers/otel.js';
import { redisServerStatus, startRedisServer } from '../helpers/redisServer.js';
import { buildCli } from './buildCli.js';
import { makeCliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';

// The CLI resets counters in the store another process (this test, with the real openai client on
// the fake provider) is using: that process counts from zero at its next call, and usage keeps the history.

const SESSION_CAP_TOML = `
[[budgets]]
id = "session-cap"
scope = "session"
maxUsd = 0.005

[[budgets]]
id = "daily-cap"
scope = "daily"
maxUsd = 0.012
`;

const redisServers = redisServerStatus();
let fake: FakeOpenAI;
beforeAll(async () => {
  ensureContextManager();
  fake = await startFakeOpenAI({ outputTokens: 400 });
  await buildCli();
});
afterAll(async () => {
  await fake.close();
});

/** A tollgate of this process on the fixture's store and config, and a call in a session through the real client. */
function service(configFile: string, env: Record<string, string> = {}) {
  const t = createTollgate({ configFile, env, guardFetch: false, quiet: true });
  const client = instrumentOpenAI(new OpenAI({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 }), t);
  const ask = (session: string): Promise<string> =>
    t.session(session, () =>
      client.chat.completions.create({ model: 'gpt-4o', max_tokens: 400, messages: [{ role: 'user', content: 'go' }] }).then(
        () => 'allowed',
        (err: unknown) => (err instanceof BudgetExceededError ? `denied:${err.budgetId}` : Promise.reject(err)),
      ),
    );
  return { t, ask };
}

async function resetsThroughTheCli(cwd: string, configFile: string, env: Record<string, string> = {}): Promise<void> {
  const { t, ask } = service(configFile, env);
  try {
    await t.ready;
    expect([await ask('S-1'), await ask('S-1')]).toEqual(['allowed', 'denied:session-cap']);

    const reset = await runCli(['sessions', 'reset', 'S-1', '--actor', 'ops', '--json'], { cwd, env });
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ target: 'session:S-1', actor: 'ops', budgetIds: ['session-cap'] });
    // The running process counts the session from zero at once; the history stays.
    expect(await ask('S-1')).toBe('allowed');
    await t.forceFlush();
    expect(await t.usage({ by: 'session' })).toMatchObject([{ key: 'S-1', calls: 3 }]);

    // The daily cap is now reached: only a reset of everything lifts it.
    expect(await ask('S-2')).toBe('denied:daily-cap');
    const unconfirmed = await runCli(['reset', '--all'], { cwd, env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toBe('error: reset --all sets every budget counter to zero; add --yes to confirm\n');
    const nothing = await runCli(['reset'], { cwd, env });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('say what to reset: --all');
    expect(await ask('S-2')).toBe('denied:daily-cap');
    const all = await runCli(['reset', '--all', '--yes'], { cwd, env });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^Reset every budget counter in .+ \(budgets: session-cap, daily-cap\) as cli:.+ at .+Z; usage and records are kept\.\n$/);
    expect(await ask('S-2')).toBe('allowed');

    const log = await runCli(['resets', '--json'], { cwd, env });
    expect(log.code).toBe(0);
    expect((JSON.parse(log.stdout) as { target: string; actor: string }[]).map((r) => [r.target, r.actor.replace(/^cli:.+$/, 'cli:<user>')])).toEqual([
      ['all', 'cli:<user>'],
      ['session:S-1', 'ops'],
    ]);
    const table = await runCli(['resets'], { cwd, env });
    expect(table.stdout).toContain('│ session:S-1 │ ops');
    const usage = await runCli(['usage', 'show', '--by', 'session', '--since', '0', '--json'], { cwd, env });
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain('"S-1"');
  } finally {
    await t.shutdown();
  }
}

describe('tollgate sessions reset / reset --all / resets', { timeout: 120_000 }, () => {
  it('on the SQLite store of a running service', async () => {
    const fx = makeCliFixture(SESSION_CAP_TOML);
    await resetsThroughTheCli(fx.dir, fx.configPath);
  });

  it.runIf(redisServers.run)('on a Redis store of a running service', async () => {
    const server = await startRedisServer();
    try {
      const fx = makeCliFixture(SESSION_CAP_TOML);
      await resetsThroughTheCli(fx.dir, fx.configPath, { TOLLGATE_STORE: server.url });
    } finally {
      await server.kill();
    }
  });

  it('refuses an empty session id and a bad --limit (exit 2)', async () => {
    const fx = makeCliFixture();
    const empty = await runCli(['sessions', 'reset', ' '], { cwd: fx.dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('error: <id>: the session id must not be empty\n');
    const limit = await runCli(['resets', '--limit', 'x'], { cwd: fx.dir });
    expect(limit.code).toBe(2);
    const none = await runCli(['resets'], { cwd: fx.dir });
    expect(none.stdout).toBe(`No resets in sqlite:${fx.dbPath}.\n`);
  });
});
