// One replica calling at a steady pace on a shared Redis budget, leases on or off: createTollgate
// on a RedisLedger, the real `openai` client wrapped by instrumentOpenAI, against a fake OpenAI
// server. argv: <distDir> <redisUrl> <keyPrefix> <journalDir> <openaiBaseURL> <maxUsd> <share (0 = no leases)>
//   <loops> <pauseMs> <durationMs>
// Prints "ready" once connected; on "go" runs <loops> call loops for <durationMs> (each call, then
// <pauseMs>), then prints { calls: [[startMs, outcome]], leaseEvents, errors }; on "flush" waits
// until its journal is replayed and no lease is still spent from, closes, prints { journaled, leases }.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, url, keyPrefix, journalDir, baseURL, maxUsd, share, loops, pauseMs, durationMs] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(distDir, path)).href);
const { default: OpenAI } = await import('openai');
const { createTollgate, BudgetExceededError, LedgerUnavailableError } = await load('src/index.js');
const { RedisLedger } = await load('src/ledger/redis.js');
const { instrumentOpenAI } = await load('instrumentations/openai/index.js');
const { Problems } = await load('src/core/Problems.js');

const prompt = Array.from({ length: 200 }, () => 'word').join(' ');
const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => (await commands.next()).value ?? 'exit';
const print = (value) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function connected(ledger) {
  for (let tries = 0; tries < 200; tries++) {
    if (await ledger.ping().then(() => true, () => false)) return;
    await sleep(100);
  }
  await ledger.ping();
}

const leaseEvents = [];
const ledger = new RedisLedger({
  url,
  keyPrefix,
  journalDir,
  problems: new Problems({ quiet: true }),
  ...(Number(share) > 0 ? { leases: { share: Number(share), ttlMs: 8_000 }, onLease: (e) => leaseEvents.push(e) } : {}),
});
const tollgate = createTollgate({ ledger, configFile: false, env: {}, guardFetch: false, quiet: true, budgets: [{ id: 'fleet', scope: 'daily', maxUsd: Number(maxUsd) }] });
const client = instrumentOpenAI(new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0, timeout: 60_000 }), tollgate);
await connected(ledger);
await tollgate.ready;
print('ready');
await next(); // go

const calls = [];
const errors = [];
const end = Date.now() + Number(durationMs);
await Promise.all(
  Array.from({ length: Number(loops) }, async () => {
    while (Date.now() < end) {
      const start = Date.now();
      let outcome = 'allowed';
      try {
        await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: prompt }] });
      } catch (err) {
        const cause = err?.cause ?? err;
        if (err instanceof BudgetExceededError || cause instanceof BudgetExceededError) outcome = 'denied';
        else if (err instanceof LedgerUnavailableError || cause instanceof LedgerUnavailableError) outcome = 'storeDown';
        else {
          outcome = 'failed';
          if (errors.length < 3) errors.push(String(err?.stack ?? err));
        }
      }
      calls.push([start, outcome]);
      await sleep(Number(pauseMs));
    }
  }),
);
await tollgate.forceFlush();
print({ calls, leaseEvents, errors });
await next(); // flush
await connected(ledger);
await tollgate.forceFlush();
for (let tries = 0; (ledger.journaled > 0 || ledger.leases().some((l) => l.spentFrom)) && tries < 200; tries++) {
  await sleep(100);
  await ledger.flush();
}
const journaled = ledger.journaled;
const leases = ledger.leases();
await tollgate.shutdown();
await ledger.close();
print({ journaled, leases });
await next(); // exit
