/**
 * The SQLite ledger across processes: a restart keeps every total, and a SIGKILL in the
 * middle of a settle loop leaves a consistent database holding every settled record.
 *
 * The child scripts are plain .mjs (no TypeScript loader in child processes); they import
 * the ledger compiled by tsc into a private temp dir in beforeAll (so no race with other
 * builds of dist/ running at the same time).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
async function killMidLoop(dbPath: string, lines: number, mode?: 'batched'): Promise<string[]> {
  const child = spawn(process.execPath, [join(FIXTURES, 'crashSettler.mjs'), sqliteModule, dbPath, ...(mode ? [mode] : [])], {
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
      // At most the reservation of the settle that was cut off is still live; it expires on its own.
      expect(states[0]?.reservedNanos === 0 || states[0]?.reservedNanos === 10_000).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it("crash, durability 'batched': everything flushed survives; at most the queued settlements are lost, their reservations held until they expire", async () => {
    const dbPath = join(workDir, 'crash-batched', 'ledger.db');
    const printed = await killMidLoop(dbPath, 400, 'batched');
    const flushed = printed.filter((l) => l.startsWith('flushed ')).map((l) => Number(l.slice('flushed crash-'.length)));
    expect(flushed.length).toBeGreaterThanOrEqual(10);
    const lastFlushed = Math.max(...flushed);

    expectIntact(dbPath);
    const ledger = new SqliteLedger({ path: dbPath });
    try {
      const records = await ledger.records({ limit: 10_000_000 });
      const indexes = records.map((r) => Number(r.id.slice('crash-'.length))).sort((a, b) => a - b);
      // A whole prefix 0..n-1 (batches are written whole), reaching at least the last flush.
      expect(indexes).toEqual(indexes.map((_, i) => i));
      expect(indexes.length).toBeGreaterThanOrEqual(lastFlushed + 1);
      // Lost: settled after the last write (queued when killed). Fewer than one batch interval of calls.
      const settledIds = printed.filter((l) => l.startsWith('crash-'));
      const lost = settledIds.length - records.length;
      expect(lost).toBeGreaterThanOrEqual(0);
      let sum = 0;
      for (const r of records) sum += r.costNanos;
      const states = await ledger.bucketStates(
        [{ key: 'total|global|all', budgetId: 'total', limitNanos: 1e15, enforce: true }],
        Date.UTC(2026, 2, 10) + settledIds.length,
      );
      expect(states[0]?.spentNanos).toBe(sum);
      // The lost settlements' reservations (and the call cut off, if any) still hold budget: never an overspend.
      const held = (states[0]?.reservedNanos ?? 0) / 10_000;
      expect(held === lost || held === lost + 1).toBe(true);
      // They stop counting when they expire (reservationTtlMs: 600,000 ms after the call).
      const later = await ledger.bucketStates([{ key: 'total|global|all', budgetId: 'total', limitNanos: 1e15, enforce: true }], Date.UTC(2026, 2, 10) + 10_000_000);
      expect(later[0]?.reservedNanos).toBe(0);
    } finally {
      await ledger.close();
    }
  });
});
