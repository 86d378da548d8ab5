/**
 * What an operator sees of a Redis outage and of a Redis that lost its data, through
 * createTollgate on a throwaway redis-server (killed by PID, restarted on the same port without
 * persistence): the lease in `/v1/budgets` and `/v1/status`, the `lease` event once per outage and
 * counter, the `store_reset` event, each as a webhook alert (store_reset by default, lease when
 * named).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../src/createTollgate.js';
import type { Tollgate } from '../../src/Tollgate.js';
import type { LeaseEvent, StoreResetEvent } from '../../src/events/TollgateEvents.js';
import { redisServerStatus, startRedisServer, uniqueKeyPrefix } from '../helpers/redisServer.js';
import type { RedisServerProcess } from '../helpers/redisServer.js';

const binary = redisServerStatus();
const USAGE = { input: 1_000, output: 500 };
const OPTIONS = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 500, inputTokens: 1_000 };

/** An HTTP receiver that records the JSON bodies posted to it. */
async function startReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(JSON.parse(data) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** GET `path` through the tollgate's request handler (no socket), as JSON. */
async function get(t: Tollgate, path: string): Promise<Record<string, unknown>> {
  const server = createServer(t.requestHandler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!binary.run)(`leases and store resets as an operator sees them ${binary.skipReason}`, () => {
  let dir: string;
  let server: RedisServerProcess | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: Tollgate | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-lease-alerts-'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t?.shutdown();
    t = undefined;
    await server?.kill();
    server = undefined;
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the lease, then reports the outage spend from it and the data loss, once each', async () => {
    server = await startRedisServer();
    t = createTollgate({
      store: server.url,
      configFile: false,
      env: {},
      guardFetch: false,
      budgets: [{ id: 'cap', scope: 'daily', maxUsd: 1, onExceed: 'deny' }],
      redis: { keyPrefix: uniqueKeyPrefix('lease-alerts'), commandTimeoutMs: 300, callWaitMs: 300, journalDir: mkdtempSync(join(dir, 'journal-')), leases: { share: 0.2 } },
      alerts: [
        { type: 'webhook', url: receiver.url, retries: 0 },
        { type: 'webhook', url: `${receiver.url}?leases`, retries: 0, events: ['lease'] },
      ],
    });
    const tollgate = t;
    const leaseEvents: LeaseEvent[] = [];
    const resets: StoreResetEvent[] = [];
    tollgate.on('lease', (e) => leaseEvents.push(e));
    tollgate.on('store_reset', (e) => resets.push(e));
    const call = (): Promise<void> => tollgate.llm(OPTIONS, async (c) => c.setUsage(USAGE));

    // Redis up: the first call takes a lease (a fifth of the free room), shown with the budgets and in /v1/status.
    await call();
    await until(() => (tollgate.ledger.leases?.() ?? []).length === 1, 'the lease');
    const budgets = await get(tollgate, '/v1/budgets');
    const [lease] = budgets.leases as { budgetId: string; leaseUsd: number; remainingUsd: number; usable: boolean; spentFrom: boolean }[];
    expect(lease).toMatchObject({ budgetId: 'cap', usable: true, spentFrom: false });
    expect(lease?.leaseUsd).toBeGreaterThan(0.15);
    expect(lease?.leaseUsd).toBeLessThanOrEqual(0.2);
    expect((await get(tollgate, '/v1/status')).leases).toEqual(budgets.leases);

    // Redis gone: calls are admitted from the lease; the event and the alert (named) come once.
    await server.kill();
    await call();
    await call();
    expect(leaseEvents).toHaveLength(1);
    expect(leaseEvents[0]).toMatchObject({ budgetId: 'cap', leaseUsd: lease?.leaseUsd });
    expect(tollgate.ledger.leases?.()[0]).toMatchObject({ spentFrom: true });
    await until(() => receiver.bodies.some((b) => b.kind === 'lease'), 'the lease alert');
    expect(receiver.bodies.filter((b) => b.kind === 'lease')).toHaveLength(1);
    expect(receiver.bodies.find((b) => b.kind === 'lease')).toMatchObject({ budgetId: 'cap' });

    // Redis back on the same port without its data: the reset is reported, as an event and (by default) an alert.
    server = await startRedisServer({ port: server.port });
    await until(() => resets.length > 0, 'the store_reset event', 30_000);
    await until(() => receiver.bodies.some((b) => b.kind === 'store_reset'), 'the store_reset alert');
    expect(receiver.bodies.filter((b) => b.kind === 'store_reset')).toHaveLength(1);
  }, 60_000);

  it('stores without leases add no leases field', async () => {
    t = createTollgate({ store: 'memory:', configFile: false, env: {}, guardFetch: false });
    expect((await get(t, '/v1/budgets')).leases).toBeUndefined();
    expect((await get(t, '/v1/status')).leases).toBeUndefined();
  });
});
