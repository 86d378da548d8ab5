/**
 * The SQLite ledger across processes: a restart keeps every total, a SIGKILL in the middle of
 * a settle loop leaves a consistent database holding every settled record, and a SIGKILL in the
 * middle of a group commit loses nothing acknowledged and passes no cap.
 *
 * The child scripts are plain .mjs (no TypeScript loader in child processes); they import
 * the ledger compiled by tsc into a private temp dir in beforeAll (so no race with other
 * builds of dist/ running at the same time).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/ledger/sqlite.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

let buildDir: string;
let sqliteModule: string;
let workDir: string;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'tollgate-build-'));
  // Compiled code resolves better-sqlite3 through this link to the project's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  const args = [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    join(ROOT, 'src/ledger/sqlite.ts'),
    '--outDir', join(buildDir, 'out'), '--rootDir', ROOT,
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
    '--types', 'node', '--skipLibCheck', '--esModuleInterop', '--verbatimModuleSyntax',
  ];
  await run(process.execPath, args, { cwd: ROOT }).catch((err: unknown) => {
    // tsc exits non-zero on type errors but still emits; only a missing output is fatal.
    if (!existsSync(join(buildDir, 'out/src/ledger/sqlite.js'))) throw err;
  });
  sqliteModule = join(buildDir, 'out/src/ledger/sqlite.js');
  workDir = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-process-'));
}, 120_000);

afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

async function summary(dbPath: string, mode: 'write' | 'read'): Promise<unknown> {
  const { stdout } = await run(process.execPath, [join(FIXTURES, 'ledgerSummary.mjs'), sqliteModule, dbPath, mode]);
  return JSON.parse(stdout) as unknown;
}

/** Runs crashSettler.mjs until it has printed `lines` lines, SIGKILLs it, and returns what it printed. */
async function killMidLoop(dbPath: string, lines: number): Promise<string[]> {
  const child = spawn(process.execPath, [join(FIXTURES, 'crashSettler.mjs'), sqliteModule, dbPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const printed: string[] = [];
  let partial = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const got = (partial + chunk).split('\n');
      partial = got.pop() ?? '';
      printed.push(...got);
      if (printed.length >= lines && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`child exited before it was killed: ${stderr}`)));
  }).catch((err: unknown) => {
    if (!child.killed) throw err;
  });
  expect(await exited).toBe('SIGKILL');
  return printed;
}

/** A child running a fixture script: its stdout lines so far, a wait for a condition on them, and a SIGKILL. */
function startChild(script: string, dbPath: string, args: string[]) {
  const child = spawn(process.execPath, [join(FIXTURES, script), sqliteModule, dbPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let check: (() => void) | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const got = (partial + chunk).split('\n');
    partial = got.pop() ?? '';
    lines.push(...got);
    check?.();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  return {
    lines,
    waitFor: (done: (lines: string[]) => boolean) =>
      new Promise<void>((resolve, reject) => {
        check = () => {
          if (done(lines)) resolve();
        };
        check();
        void exited.then((signal) => reject(new Error(`${script} ${args.join(' ')} exited (${String(signal)}) before it was killed: ${stderr}`)));
      }),
    kill: async () => {
      check = undefined;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    },
  };
}

/** The file passes SQLite's own integrity check. */
function expectIntact(dbPath: string): void {
  const raw = new Database(dbPath, { readonly: true });
  try {
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    raw.close();
  }
}

describe('SqliteLedger across processes', () => {
  it('restart: totals written by one process are identical in the next', async () => {
    const dbPath = join(workDir, 'restart', 'nested', 'ledger.db');
    const written = (await summary(dbPath, 'write')) as {
      byDay: { key: string; calls: number; costNanos: number }[];
      states: { spentNanos: number; reservedNanos: number }[];
      budgets: unknown[];
    };
    const reread = (await summary(dbPath, 'read')) as typeof written;
    expect(reread).toEqual(written);

    // Exact values, independent of either child: cost of record i is 1_000_003 * (i + 1).
    const costOf = (from: number, to: number) => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += 1_000_003 * (i + 1);
      return sum;
    };
    expect(written.byDay.map((g) => [g.key, g.calls, g.costNanos])).toEqual([
      ['2026-03-10', 100, costOf(0, 100)],
      ['2026-03-11', 100, costOf(100, 200)],
      ['2026-03-12', 100, costOf(200, 300)],
    ]);
    expect(written.states.map((s) => [s.spentNanos, s.reservedNanos])).toEqual([
      [costOf(200, 300), 123_456],
      [costOf(200, 300), 123_456],
      [costOf(0, 300), 123_456],
    ]);
    expect(reread.budgets).toEqual([{ id: 'daily', spec: { scope: 'daily', maxUsd: 5 } }]);

    const ledger = new SqliteLedger({ path: dbPath });
    try {
      expect(await ledger.usage({ by: 'day' })).toEqual(written.byDay);
    } finally {
      await ledger.close();
    }
  });

  it('crash: after SIGKILL mid-loop the ledger opens consistent and holds every id whose settle returned', async () => {
    const dbPath = join(workDir, 'crash', 'ledger.db');
    const printed = await killMidLoop(dbPath, 400);
    expect(printed.length).toBeGreaterThanOrEqual(400);

    expectIntact(dbPath);

    const ledger = new SqliteLedger({ path: dbPath });
    try {
      const records = await ledger.records({ limit: 10_000_000 });
      const ids = new Set(records.map((r) => r.id));
      for (const id of printed) expect(ids.has(id)).toBe(true);
      // No half records: every stored record is whole and exactly what the loop wrote.
      let sum = 0;
      for (const r of records) {
        const i = Number(r.id.slice('crash-'.length));
        expect(r).toEqual({
          id: `crash-${i}`, time: Date.UTC(2026, 2, 10) + i, provider: 'openai', model: 'gpt-4o', operation: 'chat',
          inputTokens: i, outputTokens: 2 * i, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
          costNanos: (i % 97) + 1, status: 'ok', metadata: { index: i },
        });
        sum += r.costNanos;
      }
      // Records are contiguous from 0: none lost in the middle.
      expect(Math.max(...records.map((r) => Number(r.id.slice(6))))).toBe(records.length - 1);
      const states = await ledger.bucketStates(
        [
          { key: 'total|global|all', budgetId: 'total', limitNanos: 1e15, enforce: true },
          { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1e15, enforce: true },
        ],
        Date.UTC(2026, 2, 10) + records.length,
      );
      expect(states.map((s) => s.spentNanos)).toEqual([sum, sum]);
      const [day] = await ledger.usage({ by: 'day' });
      expect([day?.calls, day?.costNanos]).toEqual([records.length, sum]);
      // What the killed process still holds is its slack (16 reservations of 10,000 at most), which
      // covers the reservation of the settle that was cut off, and maybe one reservation row; both expire on their own.
      expect(states[0]?.reservedNanos).toBeLessThanOrEqual(170_000);
      const [after] = await ledger.bucketStates([{ key: 'total|global|all', budgetId: 'total', limitNanos: 1e15, enforce: true }], Date.UTC(2026, 2, 10) + records.length + 1_200_002);
      expect(after?.reservedNanos).toBe(0);
    } finally {
      await ledger.close();
    }
  });

  it('two processes with calls in flight share a deny cap: each sees the other\'s reservations; after a SIGKILL they hold until their latest expiry, then stop counting', async () => {
    const dbPath = join(workDir, 'shared-cap', 'ledger.db');
    const T0 = Date.UTC(2026, 2, 10);
    const cap = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true, expiresAt: T0 + 86_400_000 };
    // Each process asks for 300 reservations of 3,000 (900,000): together they ask for 1.8M of a 1M cap.
    const children = ['a', 'b'].map((prefix) => startChild('holdReservations.mjs', dbPath, [prefix, '300', '3000']));
    try {
      await Promise.all(children.map((c) => c.waitFor((lines) => lines.some((l) => l.startsWith('held ')))));
      const fitted = children.map((c) => Number(c.lines.find((l) => l.startsWith('held '))?.split(' ')[1]));
      // 333 x 3,000 = 999,000 fit in all, whichever process asked: neither admitted against a cap that ignored the other.
      expect(fitted[0]! + fitted[1]!).toBe(333);
      const ledger = new SqliteLedger({ path: dbPath });
      try {
        expect((await ledger.bucketStates([cap], T0 + 1_000))[0]?.reservedNanos).toBe(999_000);
        expect((await ledger.reserve({ id: 'parent', amountNanos: 1_001, buckets: [cap], now: T0 + 1_000, expiresAt: T0 + 2_000 })).ok).toBe(false);
      } finally {
        await ledger.close();
      }
    } finally {
      for (const c of children) await c.kill();
    }
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      // Killed: each process's row counts until the latest expiry of its reservations (120 s), then not at all.
      expect((await ledger.bucketStates([cap], T0 + 119_999))[0]?.reservedNanos).toBe(999_000);
      expect((await ledger.bucketStates([cap], T0 + 120_000))[0]?.reservedNanos).toBe(0);
      expect((await ledger.reserve({ id: 'after', amountNanos: 1_000_000, buckets: [cap], now: T0 + 120_000, expiresAt: T0 + 180_000 })).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it('crash mid group commit: two processes share a cap, one is SIGKILLed while a group is in its transaction; nothing acknowledged is lost, the group is all or nothing, the cap holds', async () => {
    const dbPath = join(workDir, 'group-crash', 'ledger.db');
    const a = startChild('groupCrash.mjs', dbPath, ['a']);
    const b = startChild('groupCrash.mjs', dbPath, ['b']);
    const count = (lines: string[], word: string) => lines.filter((l) => l.startsWith(`${word} `)).length;
    // Kill A right after it queued a group: that group's transaction (1,000 operations) runs for many ms.
    await a.waitFor((lines) => count(lines, 'queued') >= 7);
    await a.kill();
    // B goes on after A died: its groups commit past whatever A left behind.
    const bAcked = count(b.lines, 'acked');
    // ... and until the cap has refused calls, however slowly the processes started.
    const refused = (lines: string[]) => lines.some((l) => l.startsWith('acked ') && Number(l.split(' ')[2]) < 500);
    await b.waitFor((lines) => count(lines, 'acked') >= bAcked + 3 && refused(lines));
    await b.kill();

    expectIntact(dbPath);
    const last = count(a.lines, 'queued') - 1;
    // Killed mid group: A queued turn `last` and never saw it committed.
    expect(a.lines.some((l) => l.startsWith(`acked ${last} `))).toBe(false);
    const ackedBefore = a.lines.find((l) => l.startsWith(`acked ${last - 1} `));
    expect(ackedBefore).toBeDefined();
    const fittedBefore = Number(ackedBefore?.split(' ')[2]);

    const acked = new Map<string, number>();
    for (const l of [...a.lines, ...b.lines]) {
      const [word, id, cost] = l.split(' ');
      if (word === 'settled') acked.set(id as string, Number(cost));
    }
    expect(acked.size).toBeGreaterThan(2_000);
    const T0 = Date.UTC(2026, 2, 10);
    const cap = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 4_000_000, enforce: true };
    const total = { key: 'total|global|all', budgetId: 'total', limitNanos: 1e15, enforce: true };
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      const records = await ledger.records({ limit: 10_000_000 });
      const stored = new Map(records.map((r) => [r.id, r.costNanos]));
      // Every acknowledged settlement is in the file, with its cost.
      for (const [id, cost] of acked) expect(stored.get(id)).toBe(cost);
      // The cut-off group is all or nothing: the settlements it carried (A's reservations of the turn before) are all stored or none.
      const carried = records.filter((r) => r.id.startsWith(`a-${last - 1}-`)).length;
      expect([0, fittedBefore]).toContain(carried);

      const [capState, totalState] = await ledger.bucketStates([cap, total], T0 + 1_000);
      const spent = records.reduce((n, r) => n + r.costNanos, 0);
      expect([capState?.spentNanos, totalState?.spentNanos]).toEqual([spent, spent]);
      // Calls were refused at the cap, and it was never passed: spend plus what is still held.
      expect(refused(b.lines)).toBe(true);
      expect((capState?.spentNanos ?? 0) + (capState?.reservedNanos ?? 0)).toBeLessThanOrEqual(4_000_000);
      // Reservations the dead processes committed and never settled hold the cap until they expire.
      const [later] = await ledger.bucketStates([cap], T0 + 10_000_000);
      expect(later?.reservedNanos).toBe(0);
    } finally {
      await ledger.close();
    }
  });

  it('slack: four processes calling one at a time against one deny cap admit exactly what it allows, most calls from slack, and never pass it', async () => {
    const dbPath = join(workDir, 'slack-four', 'ledger.db');
    // 1,000 calls of 1,000 fit the 1,000,000 cap; the four processes would make 1,600 between them.
    const children = ['a', 'b', 'c', 'd'].map((prefix) => startChild('slackLoop.mjs', dbPath, [prefix, '1000', '400']));
    const done = (lines: string[]) => lines.find((l) => l.startsWith('admitted '))?.split(' ').map(Number);
    await Promise.all(children.map((c) => c.waitFor((lines) => done(lines) !== undefined)));
    const counts = children.map((c) => done(c.lines) as number[]);
    expect(counts.reduce((n, [, admitted]) => n + (admitted as number), 0)).toBe(1_000);
    // Reservations answered from slack, with no transaction of their own.
    expect(counts.reduce((n, [, , atOnce]) => n + (atOnce as number), 0)).toBeGreaterThan(500);
    const cap = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true };
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      // Every call was settled at its reservation; the processes closed and gave their slack back.
      expect((await ledger.bucketStates([cap], Date.UTC(2026, 2, 10)))[0]).toMatchObject({ spentNanos: 1_000_000, reservedNanos: 0 });
      expect((await ledger.records({ limit: 10_000 })).length).toBe(1_000);
    } finally {
      await ledger.close();
    }
  });

  it('slack: a SIGKILLed process leaves its slack counting until its row expires; then the other processes can use it; every acknowledged settlement is in the file', async () => {
    const dbPath = join(workDir, 'slack-kill', 'ledger.db');
    const child = startChild('slackLoop.mjs', dbPath, ['k', '10', 'forever']);
    await child.waitFor((lines) => lines.length >= 300);
    await child.kill();
    const acked = child.lines.filter((l) => l.startsWith('settled ')).map((l) => l.slice('settled '.length));
    expectIntact(dbPath);
    const cap = { key: 'daily|global|2026-03-10', budgetId: 'daily', limitNanos: 1_000_000, enforce: true };
    const raw = new Database(dbPath, { readonly: true });
    const slackRow = raw.prepare<[], { r: number; e: number }>("SELECT reserved_nanos AS r, expires_at AS e FROM bucket_holds WHERE instance LIKE 'slack:%'").get();
    raw.close();
    // The killed process held slack: 16 calls of 10, its last call's time to live (60 s) twice over.
    expect(slackRow?.r).toBe(160);
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      const records = await ledger.records({ limit: 10_000_000 });
      const stored = new Set(records.map((r) => r.id));
      for (const id of acked) expect(stored.has(id)).toBe(true);
      const spent = records.length * 10;
      const before = (await ledger.bucketStates([cap], (slackRow?.e as number) - 1))[0];
      expect(before?.spentNanos).toBe(spent);
      // Its slack (which covers the call that was cut off) still counts: all but that is left for the others.
      expect(before?.reservedNanos).toBeGreaterThanOrEqual(160);
      expect((await ledger.reserve({ id: 'all-but-slack', amountNanos: 1_000_000 - spent - 159, buckets: [cap], now: (slackRow?.e as number) - 1, expiresAt: (slackRow?.e as number) + 1 })).ok).toBe(false);
      // Once the row expired, nothing of it counts: every nano left can be reserved.
      const at = slackRow?.e as number;
      expect((await ledger.bucketStates([cap], at))[0]?.reservedNanos).toBe(0);
      expect((await ledger.reserve({ id: 'the-rest', amountNanos: 1_000_000 - spent, buckets: [cap], now: at, expiresAt: at + 60_000 })).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });
});

describe('SqliteLedger opened by several processes at once', () => {
  it('six processes opening one new file at the same moment all open it, and each record is in it', async () => {
    for (let round = 0; round < 8; round++) {
      const dbPath = join(workDir, `open-race-${round}`, 'ledger.db');
      mkdirSync(dirname(dbPath), { recursive: true });
      const startAt = Date.now() + 500;
      const outputs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => run(process.execPath, [join(FIXTURES, 'openAtOnce.mjs'), sqliteModule, dbPath, String(startAt), `r${round}-${i}`]).then((r) => r.stdout.trim())),
      );
      expect(outputs).toEqual(Array(6).fill('opened'));
      const ledger = new SqliteLedger({ path: dbPath });
      try {
        expect((await ledger.records({})).length).toBe(6);
      } finally {
        await ledger.close();
      }
    }
  });
});

describe('SqliteLedger settlements waiting for their group (settleDelayMs)', () => {
  const CAP = { key: 'daily|global|waiting', budgetId: 'daily', limitNanos: 10_000, enforce: true };
  const run1 = (dbPath: string, mode: string) => run(process.execPath, [join(FIXTURES, 'waitingSettlements.mjs'), sqliteModule, dbPath, mode]);

  it.each(['exit', 'end', 'throw'])('a process that ends (%s) while a settlement waits commits it first', async (mode) => {
    const dbPath = join(workDir, `waiting-${mode}`, 'ledger.db');
    if (mode === 'throw') await expect(run1(dbPath, mode)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/an uncaught error of the application/) });
    else await run1(dbPath, mode);
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      expect((await ledger.records({})).map((r) => [r.id, r.costNanos])).toEqual([[`w-${mode}`, 3_000]]);
      expect((await ledger.bucketStates([CAP], Date.now()))[0]).toMatchObject({ spentNanos: 3_000, reservedNanos: 0 });
    } finally {
      await ledger.close();
    }
  });

  it('SIGKILL while a settlement waits: its record is lost, but its reservation keeps holding the cap until it expires', async () => {
    const dbPath = join(workDir, 'waiting-kill', 'ledger.db');
    const child = startChild('waitingSettlements.mjs', dbPath, ['kill']);
    await child.waitFor((lines) => lines.includes('waiting'));
    await child.kill();
    expectIntact(dbPath);
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      expect(await ledger.records({})).toEqual([]);
      // The 4,000 reserved (more than the 3,000 the call cost) still count: no later call can pass the cap because of the lost settlement.
      expect((await ledger.bucketStates([CAP], Date.now()))[0]).toMatchObject({ spentNanos: 0, reservedNanos: 4_000 });
      const now = Date.now();
      expect((await ledger.reserve({ id: 'after', amountNanos: 6_001, buckets: [CAP], now, expiresAt: now + 60_000 })).ok).toBe(false);
    } finally {
      await ledger.close();
    }
  });
});
