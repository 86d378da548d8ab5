import { afterEach, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '../../src/createTollgate.js';
import type { HealthCheckFailedEvent } from '../../src/events/TollgateEvents.js';
import { redisServerStatus, startRedisServer } from '../helpers/redisServer.js';
import type { RedisServerProcess } from '../helpers/redisServer.js';
import { startSmtpReceiver } from '../helpers/smtpReceiver.js';
import type { SmtpReceiver } from '../helpers/smtpReceiver.js';

const redis = redisServerStatus();

describe('health alerts: the store unreachable', () => {
  let tollgate: Tollgate | undefined;
  let server: RedisServerProcess | undefined;
  let smtp: SmtpReceiver | undefined;
  afterEach(async () => {
    await tollgate?.shutdown();
    await server?.kill();
    await smtp?.close();
    tollgate = server = smtp = undefined;
  });

  it.runIf(redis.run)('emits health_check_failed once per failure and emails it when the Redis store goes away', async () => {
    server = await startRedisServer();
    smtp = await startSmtpReceiver();
    tollgate = createTollgate({
      configFile: false,
      env: {},
      guardFetch: false,
      quiet: true,
      store: server.url,
      healthCheckIntervalMs: 25,
      alerts: [{ type: 'email', url: smtp.url, from: 'tollgate@example.com', to: ['ops@example.com'] }],
    });
    await tollgate.ready;
    const events: HealthCheckFailedEvent[] = [];
    tollgate.on('health_check_failed', (e) => events.push(e));
    const first = new Promise<HealthCheckFailedEvent>((resolve) => tollgate?.on('health_check_failed', resolve));

    await server.kill();
    const event = await first;
    expect(event.failed.map((f) => f.check)).toEqual(['store']);
    expect(event.failed[0]?.error).toMatch(/Redis/);
    const mail = await smtp.waitForMail(1, 20_000);
    expect(mail.subject).toMatch(/^tollgate: health check failed \(store: /);

    // /healthz says the same; the failure is not announced again while it lasts.
    const running = await tollgate.serve({ port: 0 });
    const r = await fetch(`${running.url}/healthz`);
    const res = { status: r.status, body: await r.text() };
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, checks: { store: { ok: false } } });
    expect(events).toHaveLength(1);
  }, 40_000);
});
