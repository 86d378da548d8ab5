// What a SQLite group commit costs against the statements of its calls; a helper, not part of
// `npm run bench`:   node bench/sqliteGroups.js
// The SqliteLedger alone (a temp file, the default options), one daily deny bucket: groups of G
// calls, each a reserve (answered from the process's slack when it can be) and a settle, then
// the group is committed (flush) and its settlements awaited. Prints the CPU time a call
// (process.cpuUsage) for G = 1, 4, 11 and 40: the median of five rounds of 4,000 calls each, after
// two rounds of warm-up. G = 1 pays a commit a call; as G grows, a call pays its own statements
// and 1/G of a commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromDist } from './lib/dist.js';
import { median } from './lib/measure.js';

const { SqliteLedger } = await fromDist('src/ledger/sqlite.js');
const dir = mkdtempSync(join(tmpdir(), 'tollgate-groups-'));
const ledger = new SqliteLedger({ path: join(dir, 'ledger.db') });
const bucket = [{ key: 'daily|global|bench', budgetId: 'daily', limitNanos: 1e15, enforce: true, expiresAt: Date.now() + 86_400_000 }];
const SIZES = [1, 4, 11, 40];
const CALLS = 4000;
let n = 0;

async function round(size) {
  const start = process.cpuUsage();
  for (let k = 0; k < CALLS / size; k++) {
    const settled = [];
    for (let j = 0; j < size; j++) {
      const id = (++n).toString(16).padStart(16, '0');
      const time = Date.now();
      const r = await ledger.reserve({ id, amountNanos: 200_000, buckets: bucket, now: time, expiresAt: time + 600_000 });
      if (!r.ok) throw new Error('the bench bucket refused a reservation');
      const record = { id, time, provider: 'openai', model: 'gpt-4o-mini', operation: 'chat', task: `t${n % 50}`, session: `s${n % 20}`, inputTokens: 12, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 25_800, status: 'ok' };
      settled.push(ledger.settle(record, bucket));
    }
    await ledger.flush();
    await Promise.all(settled);
  }
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / CALLS;
}

try {
  for (let w = 0; w < 2; w++) for (const size of SIZES) await round(size);
  const perCall = new Map(SIZES.map((s) => [s, []]));
  for (let r = 0; r < 5; r++) for (const size of SIZES) perCall.get(size).push(await round(size));
  for (const size of SIZES) process.stdout.write(`groups of ${size}: ${median(perCall.get(size)).toFixed(1)} µs of CPU a call\n`);
} finally {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}
