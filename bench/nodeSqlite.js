// better-sqlite3 (tollgate's SQLite driver) against node:sqlite (built into Node >= 22.5), on
// tollgate's own schema and statement mix, in one process, variants interleaved in rounds.
//
//   node --expose-gc bench/nodeSqlite.js      # with Node >= 22.5 (e.g. Node 24), after `npm run build`
//
// better-sqlite3 must be built for the node that runs this (on Node 24: `npm rebuild better-sqlite3
// --nodedir=<node 24 home>`, or run it inside the copy scripts/testNode24Matrix.sh makes).
//
// Each driver opens its own WAL file (synchronous NORMAL, as SqliteLedger does) whose schema is
// the one tollgate's migrateSchema writes (dumped from a better-sqlite3 file and replayed in the
// node:sqlite one), and prepares tollgate's statements with tollgate's prepareStatements (it only
// calls db.prepare, which both drivers have). The work per call is SqliteLedger's: a reservation
// (purge expired, drop a stale reservation, read three buckets, insert the reservation and its
// bucket rows, raise the reserved sums) and its settlement (insert the record, drop the
// reservation, upsert the daily rollup, add to two counters and one rolling bucket, read the
// states back), each in its own savepoint inside a group transaction (BEGIN IMMEDIATE), as
// GroupCommit runs them. Variants:
//   - calls, grouped: GROUP reservations then GROUP settlements per transaction (a busy service);
//   - calls, one per transaction: a reservation and a settlement, a transaction each (a quiet one);
//   - bucket reads: the states of three buckets (daily, task, a rolling minute), no write.
// better-sqlite3 groups with its transaction helper (nested = savepoint, as GroupCommit does);
// node:sqlite has none, so the bench issues BEGIN IMMEDIATE / SAVEPOINT / RELEASE / COMMIT itself.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compare, fmtNs, fmtRatio, median } from './lib/measure.js';
import { fromDist } from './lib/dist.js';

const require = createRequire(import.meta.url);
const warnings = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const { DatabaseSync } = await import('node:sqlite').catch((err) => {
  console.error(`bench/nodeSqlite.js needs node:sqlite (Node >= 22.5); this is ${process.version}: ${err.message}`);
  process.exit(2);
});
const Database = require('better-sqlite3');
const { migrateSchema } = await fromDist('src/ledger/sqlite/migrateSchema.js');
const { prepareStatements } = await fromDist('src/ledger/sqlite/prepareStatements.js');
const { recordValues } = await fromDist('src/ledger/sqlite/recordRow.js');
const { dimensionsOf } = await fromDist('src/ledger/usageDimensions.js');
const { utcDayStart } = await fromDist('src/time/utcWindows.js');

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CALLS = Number(process.env.CALLS ?? 400); // calls per timed batch
const GROUP = 16; // operations per group transaction in the grouped variant
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'tollgate-node-sqlite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// --- one schema, two files -------------------------------------------------------------------
const betterDb = new Database(join(dir, 'better.db'), { timeout: 5000 });
betterDb.pragma('journal_mode = WAL');
betterDb.pragma('synchronous = NORMAL');
migrateSchema(betterDb, join(dir, 'better.db'));
const schema = betterDb
  .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid")
  .all();
const nodeDb = new DatabaseSync(join(dir, 'node.db'), { timeout: 5000 });
nodeDb.exec('PRAGMA journal_mode = WAL');
nodeDb.exec('PRAGMA synchronous = NORMAL');
nodeDb.exec('BEGIN');
for (const { sql } of schema) nodeDb.exec(sql);
for (const { version } of betterDb.prepare('SELECT version FROM schema_version').all()) nodeDb.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
nodeDb.exec('COMMIT');
const sameSchema = JSON.stringify(nodeDb.prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid").all().map((r) => ({ ...r })));
if (sameSchema !== JSON.stringify(schema)) throw new Error('the node:sqlite file did not get the same schema');

// --- the group transaction each driver runs ---------------------------------------------------
/** better-sqlite3: GroupCommit's shape (an outer transaction, each operation a nested one = savepoint). */
function betterGroup(db) {
  const one = db.transaction((work) => work());
  const group = db.transaction((works) =>
    works.map((work) => {
      try {
        return one(work);
      } catch (err) {
        return err;
      }
    }),
  );
  return (works) => group.immediate(works);
}
/** node:sqlite: the same by hand (no transaction helper). */
function nodeGroup(db) {
  return (works) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = works.map((work) => {
        db.exec('SAVEPOINT op');
        try {
          const value = work();
          db.exec('RELEASE op');
          return value;
        } catch (err) {
          db.exec('ROLLBACK TO op');
          db.exec('RELEASE op');
          return err;
        }
      });
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
}

// --- SqliteLedger's statement mix, over either driver's statements -----------------------------
function ledgerOps(stmt) {
  const dropReservation = (id) => {
    const row = stmt.reservationAmount.get(id);
    if (row === undefined) return;
    for (const { k } of stmt.reservationBuckets.all(id)) stmt.addReserved.run(-row.a, k);
    stmt.deleteReservationBuckets.run(id);
    stmt.deleteReservation.run(id);
  };
  const purgeExpired = (now) => {
    const first = stmt.firstExpiry.get()?.m;
    if (first === null || first === undefined || first > now) return;
    for (const { id } of stmt.expiredReservations.all(now)) dropReservation(id);
  };
  const stateOf = (b, now) => {
    const counter = stmt.counterState.get(b.key);
    const spent = b.rollingMs !== undefined ? (stmt.rollingSpent.get(b.key, now - b.rollingMs, now)?.n ?? 0) : (counter?.s ?? 0);
    return { key: b.key, limitNanos: b.limitNanos, spentNanos: spent, reservedNanos: counter?.r ?? 0 };
  };
  const reserve = (id, amount, buckets, now) => {
    purgeExpired(now);
    dropReservation(id);
    const states = buckets.map((b) => stateOf(b, now));
    if (states.some((s) => s.spentNanos + s.reservedNanos + amount > s.limitNanos)) return false;
    stmt.insertReservation.run(id, amount, now + 60_000);
    for (const b of buckets) {
      stmt.insertReservationBucket.run(b.key, id);
      stmt.ensureCounter.run(b.key, b.expiresAt ?? null);
      stmt.addReserved.run(amount, b.key);
    }
    return true;
  };
  const settle = (record, buckets) => {
    if (stmt.insertRecord.run(...recordValues(record)).changes === 0) return;
    dropReservation(record.id);
    const d = dimensionsOf(record);
    stmt.upsertRollup.run(d.day, utcDayStart(record.time), d.provider, d.model, d.operation, d.status, d.task, d.session, d.agent,
      0, record.inputTokens, record.outputTokens, record.cacheReadTokens, record.cacheWriteTokens, record.reasoningTokens, record.costNanos);
    for (const b of buckets) {
      if (b.rollingMs !== undefined) stmt.addRolling.run(b.key, record.time, b.rollingMs, record.costNanos);
      else stmt.addCounter.run(b.key, record.costNanos, b.expiresAt ?? null);
    }
    return buckets.map((b) => stateOf(b, record.time));
  };
  return { reserve, settle, states: (buckets, now) => buckets.map((b) => stateOf(b, now)) };
}

const T0 = Date.UTC(2026, 0, 5, 12);
const LIMIT = 1e15; // $1M: no reservation is refused
const bucketsOf = (task) => [
  { key: 'daily|global|2026-01-05', limitNanos: LIMIT, expiresAt: T0 + DAY },
  { key: `task|${task}`, limitNanos: LIMIT },
  { key: 'minute-rolling|global', limitNanos: LIMIT, rollingMs: 60_000 },
];

function driver(name, db, group) {
  const ops = ledgerOps(prepareStatements(db));
  let seq = 0;
  const call = () => {
    const n = seq++;
    const id = `${name}-${n}`;
    const time = T0 + n * 1000; // a call a second: the rolling minute holds 60 entries, as a steady service's would
    const buckets = bucketsOf(`T-${n % 50}`);
    const record = {
      id, time, provider: 'openai', model: n % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini', operation: 'chat', status: 'ok',
      inputTokens: 120 + (n % 40), outputTokens: 40 + (n % 25), cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
      costNanos: 31_650 + (n % 97), task: `T-${n % 50}`, session: `S-${n % 7}`, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16),
      metadata: { 'tollgate.wrapped': true },
    };
    return { reserve: () => ops.reserve(id, 60_000, buckets, time), settle: () => ops.settle(record, buckets) };
  };
  let pending = [];
  return {
    db,
    // Grouped: every GROUP-th call commits the reservations of the group, then their settlements.
    grouped: () => {
      pending.push(call());
      if (pending.length < GROUP) return;
      const calls = pending;
      pending = [];
      const reserved = group(calls.map((c) => c.reserve));
      if (reserved.some((r) => r !== true)) throw new Error(`${name}: a reservation failed: ${reserved.find((r) => r !== true)}`);
      group(calls.map((c) => c.settle));
    },
    // One call: its reservation in one transaction, its settlement in the next.
    single: () => {
      const c = call();
      if (group([c.reserve])[0] !== true) throw new Error(`${name}: the reservation failed`);
      group([c.settle]);
    },
    read: () => ops.states(bucketsOf('T-1'), T0 + seq * 1000),
    count: () => db.prepare('SELECT COUNT(*) AS n FROM records').get().n,
  };
}

const better = driver('better', betterDb, betterGroup(betterDb));
const node = driver('node', nodeDb, nodeGroup(nodeDb));

// --- both drivers write the same rows ----------------------------------------------------------
for (let i = 0; i < GROUP * 2; i++) {
  better.grouped();
  node.grouped();
}
const dump = (db) =>
  JSON.stringify(['records', 'daily_rollups', 'bucket_counters', 'rolling_entries', 'reservations'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all().map((r) => ({ ...r, id: r.id?.replace(/^(better|node)-/, '') }))));
if (dump(betterDb) !== dump(nodeDb)) throw new Error('the two drivers did not write the same rows for the same calls');
console.error(`checked: the two drivers write identical rows (${better.count()} records each) for the same calls`);

// --- timing ------------------------------------------------------------------------------------
const log = (msg) => console.error(msg);
log(`node ${process.version}, better-sqlite3 ${require('better-sqlite3/package.json').version}, SQLite ${betterDb.prepare('SELECT sqlite_version() AS v').get().v} (better-sqlite3) / ${nodeDb.prepare('SELECT sqlite_version() AS v').get().v} (node:sqlite)`);
log(`${ROUNDS} rounds (+1 warm-up), order rotating, ${CALLS} calls per batch`);
const results = [];
for (const [label, key, batch] of [
  [`calls, ${GROUP} per group transaction (reserve + settle)`, 'grouped', CALLS],
  ['calls, one transaction per operation (reserve + settle)', 'single', Math.max(20, CALLS / 4)],
  ['bucket reads (three buckets, no write)', 'read', CALLS * 4],
]) {
  const r = await compare(
    [
      { name: 'better-sqlite3', fn: better[key], batch },
      { name: 'node:sqlite', fn: node[key], batch },
    ],
    { rounds: ROUNDS, sync: true },
  );
  const b = r['better-sqlite3'];
  const n = r['node:sqlite'];
  const ratios = n.samples.map((x, i) => x / b.samples[i]).sort((x, y) => x - y);
  const q = (p) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))];
  results.push({ label, better: b.medianNs, node: n.medianNs, ratio: median(ratios), q1: q(0.25), q3: q(0.75) });
  log(`  ${label}: done`);
}

// --- API gaps, checked rather than recalled ----------------------------------------------------
const gaps = [];
gaps.push(`transaction helper: better-sqlite3 db.transaction(fn) (.immediate, nesting = savepoints, rollback on throw); node:sqlite ${typeof nodeDb.transaction === 'function' ? 'has db.transaction' : 'has none (BEGIN IMMEDIATE / SAVEPOINT / COMMIT by hand, as above)'}`);
{
  const big = 2n ** 60n + 1n;
  nodeDb.exec('CREATE TEMP TABLE big (v INTEGER)');
  nodeDb.prepare('INSERT INTO big VALUES (?)').run(big);
  const plain = (() => {
    try {
      return String(nodeDb.prepare('SELECT v FROM big').get().v);
    } catch (err) {
      return `throws (${err.code ?? err.message})`;
    }
  })();
  const s = nodeDb.prepare('SELECT v FROM big');
  s.setReadBigInts(true);
  const asBig = s.get().v;
  betterDb.exec('CREATE TEMP TABLE big (v INTEGER)');
  betterDb.prepare('INSERT INTO big VALUES (?)').run(big);
  const betterPlain = betterDb.prepare('SELECT v FROM big').get().v;
  const betterBig = betterDb.prepare('SELECT v FROM big').safeIntegers(true).get().v;
  gaps.push(
    `64-bit integers: better-sqlite3 .safeIntegers() -> ${typeof betterBig} ${betterBig} (without: ${typeof betterPlain}, rounded); ` +
      `node:sqlite .setReadBigInts(true) -> ${typeof asBig} ${asBig} (without: ${plain}); both bind BigInt parameters. tollgate keeps nano-USD below 2^53 either way`,
  );
}
{
  // busy_timeout: a second connection waits this long for the first one's write lock, then SQLITE_BUSY.
  const holder = new DatabaseSync(join(dir, 'node.db'));
  holder.exec('BEGIN IMMEDIATE');
  const waiter = new DatabaseSync(join(dir, 'node.db'), { timeout: 200 });
  const start = process.hrtime.bigint();
  let message = 'no error';
  try {
    waiter.exec('BEGIN IMMEDIATE');
  } catch (err) {
    message = err.message;
  }
  const waited = Number(process.hrtime.bigint() - start) / 1e6;
  holder.exec('ROLLBACK');
  holder.close();
  waiter.close();
  gaps.push(`busy timeout: node:sqlite new DatabaseSync(path, { timeout: 200 }) waited ${waited.toFixed(0)} ms for another connection's lock, then "${message}" (better-sqlite3: { timeout }); both take PRAGMA busy_timeout too`);
}
gaps.push(
  `WAL: journal_mode ${nodeDb.prepare('PRAGMA journal_mode').get().journal_mode} in node:sqlite (PRAGMA through exec/prepare; better-sqlite3 has a .pragma() helper, node:sqlite has none)`,
);
gaps.push(`runtime: node:sqlite exists on Node >= 22.5 only; tollgate supports Node 20, so better-sqlite3 would stay for Node 20 either way`);
gaps.push(`warnings on load: ${warnings.length === 0 ? 'none' : warnings.join(' | ')}`);

/** Size on disk of a package folder (the install cost node:sqlite would save). */
function du(path) {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    total += entry.isDirectory() ? du(p) : statSync(p).size;
  }
  return total;
}
const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
const addon = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');

// --- report ------------------------------------------------------------------------------------
const out = [];
out.push(`node:sqlite against better-sqlite3, ${process.version}, ${new Date().toISOString().slice(0, 10)}; median of ${ROUNDS} interleaved rounds, ratio = node:sqlite / better-sqlite3 per operation (> 1: node:sqlite slower)`);
out.push('');
out.push('| work | better-sqlite3 per op | node:sqlite per op | time ratio (IQR) | throughput ratio |');
out.push('|---|---|---|---|---|');
for (const r of results) {
  out.push(`| ${r.label} | ${fmtNs(r.better)} | ${fmtNs(r.node)} | ${fmtRatio(r.ratio)} (${fmtRatio(r.q1)} – ${fmtRatio(r.q3)}) | ${fmtRatio(1 / r.ratio)} |`);
}
out.push('');
out.push(`install: better-sqlite3's folder ${(du(pkgDir) / 1024 / 1024).toFixed(1)} MB on disk after the build (addon ${(statSync(addon).size / 1024 / 1024).toFixed(1)} MB), compiled or downloaded on every install for each Node ABI; node:sqlite: 0`);
out.push('');
out.push('API differences that matter to SqliteLedger:');
for (const g of gaps) out.push(`- ${g}`);
console.log(out.join('\n'));
betterDb.close();
nodeDb.close();
