import { z } from 'zod';

/**
 * The `[redis]` section: options of a `redis://` store (see README "Stores"). Absent fields keep
 * the RedisLedger defaults.
 */
export interface RedisConfig {
  /** Prefix of every key; processes with the same Redis and prefix share budgets. Default 'tollgate:'. */
  keyPrefix?: string;
  /** Reads that get no answer within this time fail. Default 500. */
  commandTimeoutMs?: number;
  /** How long reservations and settlements wait for an answer while connected. Default 10000. */
  callWaitMs?: number;
  /** Directory of the local settlement journal. Default `<tmpdir>/tollgate-journal-<hash>`. */
  journalDir?: string;
  /** Confirmed settlements remembered to rebuild a Redis that lost its data (0: off). Default 50000. */
  rememberSettlements?: number;
  /** Leases: each process holds a share of every deny/fallback budget it uses, spendable while Redis is down. Default off. */
  leases?: { share: number; maxUsd?: number; ttlMs?: number };
}

const wholeMs = z
  .number({ error: 'expected a whole number of milliseconds > 0' })
  .int({ error: 'expected a whole number of milliseconds > 0' })
  .positive({ error: 'expected a whole number of milliseconds > 0' });

/** The `redis` section of a configuration layer. */
export const RedisSchema = z.strictObject({
  keyPrefix: z.string({ error: 'expected a key prefix such as "tollgate:"' }).min(1, { error: 'expected a key prefix such as "tollgate:"' }).optional(),
  commandTimeoutMs: wholeMs.optional(),
  callWaitMs: wholeMs.optional(),
  journalDir: z.string({ error: 'expected a directory path' }).min(1, { error: 'expected a directory path' }).optional(),
  rememberSettlements: z
    .number({ error: 'expected a whole number >= 0 (0 turns it off)' })
    .int({ error: 'expected a whole number >= 0 (0 turns it off)' })
    .nonnegative({ error: 'expected a whole number >= 0 (0 turns it off)' })
    .optional(),
  leases: z
    .strictObject({
      share: z
        .number({ error: 'expected a share of the free room above 0 and at most 0.5, such as 0.1' })
        .gt(0, { error: 'expected a share of the free room above 0 and at most 0.5, such as 0.1' })
        .lte(0.5, { error: 'expected a share of the free room above 0 and at most 0.5, such as 0.1' }),
      maxUsd: z.number({ error: 'expected a number of USD > 0' }).positive({ error: 'expected a number of USD > 0' }).optional(),
      ttlMs: wholeMs.optional(),
    })
    .optional(),
});
