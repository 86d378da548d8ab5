// A replica that reserves and then never settles (the test kills it with SIGKILL).
// argv: <distDir> <redisUrl> <keyPrefix> <bucketKey> <limitNanos> <amountNanos> <now> <expiresAt>
// Prints the reserve result as one JSON line, then waits forever.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, url, keyPrefix, bucketKey, limit, amount, now, expiresAt] = process.argv.slice(2);
const { RedisLedger } = await import(pathToFileURL(join(distDir, 'src/ledger/redis.js')).href);
const ledger = new RedisLedger({ url, keyPrefix, commandTimeoutMs: 5_000 });
const bucket = { key: bucketKey, budgetId: 'deny', limitNanos: Number(limit), enforce: true };
const result = await ledger.reserve({
  id: 'crashed-call',
  amountNanos: Number(amount),
  buckets: [bucket],
  now: Number(now),
  expiresAt: Number(expiresAt),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
setInterval(() => undefined, 60_000);
