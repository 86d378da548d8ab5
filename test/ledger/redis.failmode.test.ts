/**
 * Budgets over a Redis that goes away, end to end through createTollgate: with
 * failMode 'open' calls go on (and the failure is counted), with 'closed' they are
 * refused before anything runs; once Redis is back the same tollgate works again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Problems } from '../../src/core/Problems.js';
import { LedgerUnavailableError } from '../../src/core/LedgerUnavailableError.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { makeTestTollgate, type TestTollgate } from '../helpers/otel.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix, type RedisServerProcess } from '../helpers/redisServer.js';

const binary = redisServerStatus();

describe.skipIf(!binary.run)(`budgets when Redis fails ${binary.skipReason}`, () => {
  let server: RedisServerProcess | undefined;
  let t: TestTollgate | undefined;
  afterEach(async () => {
    await t?.shutdown();
    await server?.kill();
    t = undefined;
    server = undefined;
  });

  async function setup(failMode: 'open' | 'closed'): Promise<TestTollgate> {
    server = await startRedisServer();
    const ledger = new RedisLedger({
      url: server.url,
      keyPrefix: uniqueKeyPrefix('failmode'),
      commandTimeoutMs: 300,
      maxReconnectDelayMs: 100,
      resetGraceMs: 100,
      journalDir: mkdtempSync(join(tmpdir(), 'tollgate-journal-')),
      problems: new Problems({ quiet: true }),
    });
    return makeTestTollgate({ ledger, failMode, budgets: [{ id: 'daily', scope: 'daily', maxUsd: 1, onExceed: 'deny' }] });
  }

  const call = (tt: TestTollgate, onRun: () => void) =>
    tt.tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 100, inputTokens: 100 }, (c) => {
      onRun();
      c.setUsage({ input: 100, output: 100 });
      return 'answer';
    });

  it('fail-open: calls go on while Redis is down, the failures are counted, and charging resumes after', async () => {
    t = await setup('open');
    let runs = 0;
    await expect(call(t, () => (runs += 1))).resolves.toBe('answer');
    const port = server!.port;
    await server!.kill();
    await expect(call(t, () => (runs += 1))).resolves.toBe('answer');
    await t.tollgate.forceFlush();
    expect(runs).toBe(2);
    expect(t.tollgate.budgets.errorCount).toBeGreaterThan(0);
    const text = await t.tollgate.metrics.metricsText();
    expect(text).toMatch(/tollgate_errors_total\{component="ledger"\} [1-9]/);
    expect(text).toMatch(/^ledger_errors_total [1-9]/m);

    server = await startRedisServer({ port });
    // Reconnects on its own. The fresh server starts empty (no persistence): the ledger notices, re-adds the
    // settlement it remembers, and replays the one made while Redis was down (journaled): nothing spent is lost.
    await expect.poll(async () => Promise.resolve().then(() => t!.tollgate.ledger.ping()).then(() => true, () => false), { timeout: 5000, interval: 50 }).toBe(true);
    await call(t, () => (runs += 1));
    await t.tollgate.forceFlush();
    const [row] = await t.tollgate.usage({ by: 'model' });
    expect(row).toMatchObject({ key: 'gpt-4o-mini', calls: 3, costNanos: 3 * (100 * 150 + 100 * 600) });
  });

  it('fail-closed: calls are refused before they run while Redis is down, and allowed again after', async () => {
    t = await setup('closed');
    let runs = 0;
    await call(t, () => (runs += 1));
    const port = server!.port;
    await server!.kill();
    await expect(call(t, () => (runs += 1))).rejects.toBeInstanceOf(LedgerUnavailableError);
    expect(runs).toBe(1);
    const refused = t.spans().filter((s) => s.attributes['tollgate.status'] === 'denied');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.attributes['error.type']).toBe('LedgerUnavailableError');

    server = await startRedisServer({ port });
    await expect.poll(async () => Promise.resolve().then(() => t!.tollgate.ledger.ping()).then(() => true, () => false), { timeout: 5000, interval: 50 }).toBe(true);
    await expect(call(t, () => (runs += 1))).resolves.toBe('answer');
    expect(runs).toBe(2);
  });
});
