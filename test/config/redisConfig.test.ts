/**
 * The `[redis]` table of a config file reaches the Redis store: its key prefix names the keys,
 * and with leases the process holds a share of the deny budget in Redis after a call (real Redis
 * at 127.0.0.1:6379, a key prefix of its own, removed afterwards).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../src/createTollgate.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/core/ConfigError.js';
import { MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(body: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, body);
  return file;
}

const redis = await mainRedisStatus();

describe('[redis] in the config file', () => {
  it('is validated with the field named', () => {
    const file = configFile('store = "redis://127.0.0.1:6379/0"\n[redis]\nleases = { share = 0.9 }\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/redis\.leases\.share.*at most 0\.5/);
    const typo = configFile('[redis]\nkeyPrefx = "x:"\n');
    expect(() => loadConfig({ file: typo, env: {} })).toThrow(/keyPrefx/);
  });


  it.skipIf(!redis.run)(`sets the store's key prefix and leases ${redis.skipReason}`, async () => {
    const prefix = uniqueKeyPrefix('config-leases');
    const file = configFile(
      [
        `store = "${MAIN_REDIS_URL}"`,
        '[[budgets]]',
        'id = "fleet"',
        'scope = "daily"',
        'maxUsd = 1',
        'onExceed = "deny"',
        '[redis]',
        `keyPrefix = "${prefix}"`,
        `journalDir = "${join(dir, 'journal')}"`,
        'leases = { share = 0.1 }',
      ].join('\n'),
    );
    const tollgate = createTollgate({ configFile: file, quiet: true, log: { level: 'off' } });
    const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    try {
      await tollgate.llm({ model: 'gpt-4o-mini', maxTokens: 100, inputTokens: 10 }, (call) => {
        call.setUsage({ input: 10, output: 20 });
        return 'ok';
      });
      await tollgate.forceFlush();
      // The lease is a reservation in Redis: a tenth of the free room stays reserved after the call settled.
      let reservedUsd = 0;
      for (let i = 0; i < 100 && reservedUsd === 0; i++) {
        reservedUsd = (await tollgate.budgets.status()).find((s) => s.budget.id === 'fleet')?.reservedUsd ?? 0;
        if (reservedUsd === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(reservedUsd).toBeGreaterThan(0.09);
      expect(reservedUsd).toBeLessThanOrEqual(0.1);
      await client.connect();
      expect((await client.keys(`${prefix}*`)).length).toBeGreaterThan(0);
    } finally {
      await tollgate.shutdown();
      const keys = await client.keys(`${prefix}*`).catch(() => []);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
  });
});
