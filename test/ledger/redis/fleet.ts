/** A fleet of replica processes (fleetWorker.mjs) sharing one Redis budget, for the load and fault tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { startFixture, type Fixture } from '../redis-fixtures/fixtureProcess.js';

export interface WorkerResult {
  allowed: number;
  denied: number;
  storeDown: number;
  failed: number;
  errors: string[];
  resets: number;
}

export interface FleetOptions {
  redisUrl: string;
  keyPrefix: string;
  baseURL: string;
  workers: number;
  callsPerWorker: number;
  maxUsd: number;
  journalDir: string;
}

/** The running replicas: `go()` fires every call at once, `results()` waits for each replica's counts. */
export interface Fleet {
  go(): void;
  results(): Promise<WorkerResult[]>;
  /** Asks each replica to flush (replay its journal) and exit; resolves with what each still has journaled. */
  finish(): Promise<{ journaled: number; resets: number }[]>;
  kill(): void;
}

/** Starts the replicas and resolves once every one is connected and waits for "go". */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const fixtures: Fixture[] = Array.from({ length: o.workers }, () =>
    startFixture('fleetWorker.mjs', [o.redisUrl, o.keyPrefix, o.baseURL, o.callsPerWorker, o.maxUsd, o.journalDir]),
  );
  try {
    for (const f of fixtures) expectLine(await f.nextLine(), 'ready');
  } catch (err: unknown) {
    for (const f of fixtures) f.child.kill('SIGKILL');
    throw err;
  }
  return {
    go: () => {
      for (const f of fixtures) f.child.stdin.write('go\n');
    },
    results: () => Promise.all(fixtures.map(async (f) => JSON.parse(await f.nextLine()) as WorkerResult)),
    finish: () =>
      Promise.all(
        fixtures.map(async (f) => {
          f.child.stdin.write('flush\n');
          const line = JSON.parse(await f.nextLine()) as { journaled: number; resets: number };
          await f.exited;
          return line;
        }),
      ),
    kill: () => {
      for (const f of fixtures) f.child.kill('SIGKILL');
    },
  };
}

function expectLine(line: string, expected: string): void {
  if (line !== expected) throw new Error(`a fleet worker printed ${JSON.stringify(line)} instead of ${JSON.stringify(expected)}`);
}

/** Two busy loops (one per core of the 2-core CI machines), each ending on its own after `ms`. */
export function busyLoops(ms: number): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}
