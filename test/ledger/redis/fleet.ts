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
  workers: number;
  callsPerWorker: number;
  maxUsd: number;
}

/** One round on a fresh key prefix: `go()` fires every call at once, `results()` waits for each replica's counts. */
export interface FleetRound {
  go(): void;
  results(): Promise<WorkerResult[]>;
  /** Asks each replica to flush (replay its journal) and close; resolves with what each still has journaled. */
  finish(): Promise<{ journaled: number; resets: number }[]>;
}

/** Replica processes that stay up across rounds (starting node under load is slow). */
export interface Fleet {
  /** Opens a tollgate on `keyPrefix` in every replica, calling the OpenAI API at `baseURL`. */
  round(keyPrefix: string, journalDir: string, baseURL: string): Promise<FleetRound>;
  stop(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const fixtures: Fixture[] = Array.from({ length: o.workers }, () => startFixture('fleetWorker.mjs', [o.redisUrl, o.callsPerWorker, o.maxUsd]));
  const send = (line: string): void => {
    for (const f of fixtures) f.child.stdin.write(`${line}\n`);
  };
  const stop = async (): Promise<void> => {
    for (const f of fixtures) f.child.kill('SIGKILL');
    await Promise.all(fixtures.map((f) => f.exited));
  };
  try {
    for (const f of fixtures) expectLine(await f.nextLine(), 'started');
  } catch (err: unknown) {
    await stop();
    throw err;
  }
  return {
    round: async (keyPrefix, journalDir, baseURL) => {
      send(`round ${keyPrefix} ${journalDir} ${baseURL}`);
      for (const f of fixtures) expectLine(await f.nextLine(), 'ready');
      return {
        go: () => send('go'),
        results: () => Promise.all(fixtures.map(async (f) => JSON.parse(await f.nextLine()) as WorkerResult)),
        finish: () => {
          send('flush');
          return Promise.all(fixtures.map(async (f) => JSON.parse(await f.nextLine()) as { journaled: number; resets: number }));
        },
      };
    },
    stop,
  };
}

function expectLine(line: string, expected: string): void {
  if (line !== expected) throw new Error(`a fleet worker printed ${JSON.stringify(line)} instead of ${JSON.stringify(expected)}`);
}

/** Two busy loops (one per core of the 2-core CI machines), each ending on its own after `ms`. */
export function busyLoops(ms: number): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}
