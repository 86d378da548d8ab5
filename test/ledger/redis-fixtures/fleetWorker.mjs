// One replica of a fleet sharing a Redis budget: createTollgate on a RedisLedger, the real
// `openai` client wrapped by instrumentOpenAI, against a fake OpenAI server.
// argv: <distDir> <redisUrl> <keyPrefix> <openaiBaseURL> <calls> <maxUsd> <journalDir>
// Prints "ready" once connected, waits for "go" on stdin, fires every call at once, then
// prints one JSON line { allowed, denied, storeDown, failed, errors: string[], resets } and, after a
// "flush" line on stdin, flushes (replaying its journal), prints "flushed" and exits.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, url, keyPrefix, baseURL, calls, maxUsd, journalDir] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(distDir, path)).href);
const { default: OpenAI } = await import('openai');
const { createTollgate, BudgetExceededError, LedgerUnavailableError } = await load('src/index.js');
const { RedisLedger } = await load('src/ledger/redis.js');
const { instrumentOpenAI } = await load('instrumentations/openai/index.js');
const { Problems } = await load('src/core/Problems.js');

let resets = 0;
const ledger = new RedisLedger({ url, keyPrefix, journalDir, problems: new Problems({ quiet: true }), onStoreReset: () => (resets += 1) });
const tollgate = createTollgate({ ledger, configFile: false, env: {}, guardFetch: false, quiet: true, budgets: [{ id: 'fleet', scope: 'daily', maxUsd: Number(maxUsd) }] });
const client = instrumentOpenAI(new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0, timeout: 120_000 }), tollgate);
await ledger.ping();
await tollgate.ready;

const prompt = Array.from({ length: 1000 }, () => 'word').join(' ');
const lines = createInterface({ input: process.stdin });
const next = () => new Promise((resolve) => lines.once('line', resolve));
process.stdout.write('ready\n');
await next();

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
process.stdout.write(`${JSON.stringify(result)}\n`);
await next();
lines.close();
await tollgate.forceFlush();
process.stdout.write(`${JSON.stringify({ journaled: ledger.journaled, resets })}\n`);
await tollgate.shutdown();
await ledger.close();
