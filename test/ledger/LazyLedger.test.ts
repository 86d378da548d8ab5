import { describe, expect, it } from 'vitest';
import { LazyLedger } from '../../src/ledger/LazyLedger.js';
import { openStore } from '../../src/ledger/openLedger.js';
import { RedisUnavailableError } from '../../src/ledger/redis.js';
import { deleteKeysWithPrefix, MAIN_REDIS_URL, mainRedisStatus, uniqueKeyPrefix } from '../helpers/redisServer.js';
import { runLedgerContract } from './ledgerContract.js';

const redis = await mainRedisStatus();

describe.skipIf(!redis.run)('LazyLedger on the Redis at 127.0.0.1:6379', () => {
  // Opened as createTollgate and the CLI open a Redis store.
  runLedgerContract('LazyLedger (openStore redis://)', async () => {
    const keyPrefix = uniqueKeyPrefix('lazy');
    const ledger = openStore(MAIN_REDIS_URL, { redis: { keyPrefix } });
    return {
      ledger,
      cleanup: async () => {
        await ledger.close();
        await deleteKeysWithPrefix(MAIN_REDIS_URL, keyPrefix);
      },
    };
  });
});

describe('LazyLedger', () => {
  it('applies the RedisLedger options on first use (an unreachable server rejects within commandTimeoutMs)', async () => {
    const ledger = new LazyLedger({ url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 50, maxReconnectDelayMs: 50 });
    try {
      await expect(ledger.ping()).rejects.toThrow(RedisUnavailableError);
      await expect(ledger.reserve({ id: 'r', amountNanos: 1, buckets: [], now: 0, expiresAt: 1 })).resolves.toEqual({ ok: true, states: [] });
    } finally {
      await ledger.close();
    }
  });

  it('rejects every call with the options error when the options are wrong', async () => {
    const ledger = new LazyLedger({ url: 'redis://127.0.0.1:1/0', keyPrefix: '' });
    await expect(ledger.ping()).rejects.toThrow(/keyPrefix must be a non-empty string/);
    await expect(ledger.usage({ by: 'model' })).rejects.toThrow(/keyPrefix/);
  });

  it('closes without opening anything when never used, idempotently', async () => {
    const ledger = new LazyLedger({ url: 'redis://127.0.0.1:1/0' });
    await ledger.close();
    await ledger.close();
  });
});
