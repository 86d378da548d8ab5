// One replica: N concurrent admissions against one shared bucket on Redis.
// argv: <distDir> <redisUrl> <keyPrefix> <bucketKey> <limitNanos> <count> <seed> <label>
// Prints "ready" once connected, waits for "go" on stdin, then prints one JSON line:
// { allowed, denied, released, settledNanos, settles, unjustifiedDenials } and exits.
// A denial is unjustified when the state the ledger reported would have fit the amount.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, url, keyPrefix, bucketKey, limit, count, seed, label] = process.argv.slice(2);
const { RedisLedger } = await import(pathToFileURL(join(distDir, 'src/ledger/redis.js')).href);

// mulberry32: a small seeded generator, so that a failing run can be replayed.
let state = Number(seed) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (min, max) => min + Math.floor(random() * (max - min + 1));

const ledger = new RedisLedger({ url, keyPrefix, commandTimeoutMs: 5_000 });
await ledger.ping();
const bucket = { key: bucketKey, budgetId: 'deny-1usd', limitNanos: Number(limit), enforce: true };

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise((resolve) => lines.once('line', resolve));
lines.close();

const result = { allowed: 0, denied: 0, released: 0, settledNanos: 0, settles: 0, unjustifiedDenials: 0 };
const plans = Array.from({ length: Number(count) }, (_, i) => ({
  id: `${label}-${i}`,
  amount: between(2_000_000, 6_000_000), // $0.002 – $0.006 worst case
  release: random() < 0.2,
  costFraction: random(),
}));

await Promise.all(
  plans.map(async (p) => {
    const now = Date.now();
    const r = await ledger.reserve({ id: p.id, amountNanos: p.amount, buckets: [bucket], now, expiresAt: now + 120_000 });
    if (!r.ok) {
      result.denied += 1;
      if (r.failed.spentNanos + r.failed.reservedNanos + p.amount <= bucket.limitNanos) result.unjustifiedDenials += 1;
      return;
    }
    result.allowed += 1;
    if (p.release) {
      await ledger.release(p.id);
      result.released += 1;
      return;
    }
    const cost = Math.floor(p.costFraction * (p.amount + 1)); // 0 ≤ cost ≤ amount
    await ledger.settle(
      {
        id: p.id,
        time: Date.now(),
        provider: 'openai',
        model: 'gpt-4o',
        operation: 'chat',
        inputTokens: 10,
        outputTokens: 5,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        costNanos: cost,
        status: 'ok',
      },
      [bucket],
    );
    result.settledNanos += cost;
    result.settles += 1;
  }),
);

process.stdout.write(`${JSON.stringify(result)}\n`);
await ledger.close();
