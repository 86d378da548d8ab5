// One replica of a fleet sharing a Redis budget: createTollgate on a RedisLedger, the real
// `openai` client wrapped by instrumentOpenAI, against a fake OpenAI server. It serves several
// rounds, one per stdin command sequence:
//   "round <keyPrefix> <journalDir> <openaiBaseURL>" → opens a ledger and a tollgate, prints "ready"
//   (a fresh fake server per round: pooled sockets of an earlier round are never reused);
//   "go"    → fires every call at once, prints { allowed, denied, storeDown, failed, errors, resets };
//   "flush" → flushes (replaying its journal), closes, prints { journaled, resets }.
// "exit" ends the process. argv: <distDir> <redisUrl> <calls> <maxUsd>
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, url, calls, maxUsd] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(distDir, path)).href);
const { default: OpenAI } = await import('openai');
const { createTollgate, BudgetExceededError, LedgerUnavailableError } = await load('src/index.js');
const { RedisLedger } = await load('src/ledger/redis.js');
const { instrumentOpenAI } = await load('instrumentations/openai/index.js');
const { Problems } = await load('src/core/Problems.js');

const prompt = Array.from({ length: 1000 }, () => 'word').join(' ');
const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => (await commands.next()).value ?? 'exit';
const print = (value) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
print('started');

/** Waits until Redis answers (it may be starting, or reconnecting after a fault), at most ~20 s. */
async function connected(ledger) {
  for (let tries = 0; tries < 200; tries++) {
    if (await ledger.ping().then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await ledger.ping();
}

for (let command = await next(); command !== 'exit'; command = await next()) {
  const [, keyPrefix, journalDir, baseURL] = command.split(' ');
  let resets = 0;
  const ledger = new RedisLedger({ url, keyPrefix, journalDir, problems: new Problems({ quiet: true }), onStoreReset: () => (resets += 1) });
  const tollgate = createTollgate({ ledger, configFile: false, env: {}, guardFetch: false, quiet: true, budgets: [{ id: 'fleet', scope: 'daily', maxUsd: Number(maxUsd) }] });
  const client = instrumentOpenAI(new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0, timeout: 120_000 }), tollgate);
  await connected(ledger);
  await tollgate.ready;
  print('ready');
  await next(); // go

  const result = { allowed: 0, denied: 0, storeDown: 0, failed: 0, errors: [], resets: 0 };
  await Promise.all(
    Array.from({ length: Number(calls) }, async () => {
      try {
        await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 500, messages: [{ role: 'user', content: prompt }] });
        result.allowed += 1;
      } catch (err) {
        const cause = err?.cause ?? err;
        if (err instanceof BudgetExceededError || cause instanceof BudgetExceededError) result.denied += 1;
        else if (err instanceof LedgerUnavailableError || cause instanceof LedgerUnavailableError) result.storeDown += 1;
        else {
          result.failed += 1;
          if (result.errors.length < 3) result.errors.push(String(err?.stack ?? err));
        }
      }
    }),
  );
  await tollgate.forceFlush();
  result.resets = resets;
  print(result);
  await next(); // flush
  await connected(ledger);
  await tollgate.forceFlush();
  // Redis may still be reconnecting after a fault: replay until the journal is empty (at most ~20 s).
  for (let tries = 0; ledger.journaled > 0 && tries < 200; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await ledger.flush();
  }
  const journaled = ledger.journaled;
  await tollgate.shutdown();
  await ledger.close();
  print({ journaled, resets });
}
