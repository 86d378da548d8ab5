/**
 * Redis for tests: the shared server at 127.0.0.1:6379, and throwaway redis-server
 * processes on random ports that a test can kill, pause and restart by PID.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from './freePort.js';

export { freePort };

export const MAIN_REDIS_HOST = '127.0.0.1';
export const MAIN_REDIS_PORT = 6379;
export const MAIN_REDIS_URL = `redis://${MAIN_REDIS_HOST}:${MAIN_REDIS_PORT}/0`;

/** true when a Redis server answers PING on host:port within `timeoutMs`. */
export function redisAnswers(port = MAIN_REDIS_PORT, host = MAIN_REDIS_HOST, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffered = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (buffered.includes('\r\n')) finish(buffered.startsWith('+PONG'));
    });
  });
}

/**
 * Whether the Redis tests should run: yes when 127.0.0.1:6379 answers, and also in CI
 * (CI=true), where a missing Redis must fail the tests instead of skipping them.
 */
export interface MainRedisStatus {
  up: boolean;
  run: boolean;
  /** Why the tests are skipped; '' when they run. */
  skipReason: string;
}

export async function mainRedisStatus(): Promise<MainRedisStatus> {
  const up = await redisAnswers();
  const ci = process.env.CI === 'true';
  return {
    up,
    run: up || ci,
    skipReason:
      up || ci
        ? ''
        : `skipped: no Redis answers at ${MAIN_REDIS_HOST}:${MAIN_REDIS_PORT} (start one with ` +
          `\`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\`; with CI=true these tests fail instead)`,
  };
}

/** A unique key prefix for one test run, so parallel test runs never share keys. */
export function uniqueKeyPrefix(label: string): string {
  return `tollgate-test:${label}:${process.pid}:${randomUUID()}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK; never FLUSHDB on a shared server). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    let deleted = 0;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/**
 * Whether throwaway servers can be started: yes when `redis-server` runs, and also in
 * CI (CI=true), where a missing binary must fail the tests instead of skipping them.
 */
export function redisServerStatus(): { available: boolean; run: boolean; skipReason: string } {
  const available = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  const ci = process.env.CI === 'true';
  return {
    available,
    run: available || ci,
    skipReason: available || ci ? '' : 'skipped: redis-server is not on PATH (install redis; with CI=true these tests fail instead)',
  };
}

/** A redis-server child process bound to 127.0.0.1: no persistence unless started with `appendOnlyDir`. */
export interface RedisServerProcess {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  /** SIGKILL by PID; resolves once the process has exited. Idempotent. */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing. No-op once exited. */
  pause(): void;
  /** SIGCONT after `pause()`. No-op once exited. */
  resume(): void;
}

/**
 * Starts `redis-server` on `port` (default: a free random port), without persistence or
 * with AOF in `appendOnlyDir`, and resolves once it logs that it accepts connections. Rejects if it exits first or is not ready in time.
 */
export async function startRedisServer(options: { port?: number; readyTimeoutMs?: number; appendOnlyDir?: string } = {}): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort());
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  // appendOnlyDir: AOF persistence in that directory, every write fsynced before it is answered.
  const persistence =
    options.appendOnlyDir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.appendOnlyDir];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntilReady(child, port, readyTimeoutMs);
  const pid = child.pid as number;
  let killing: Promise<void> | undefined;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    port,
    pid,
    url: `redis://127.0.0.1:${port}/0`,
    kill: () => {
      killing ??= (async () => {
        if (alive()) process.kill(pid, 'SIGKILL');
        await exited;
      })();
      return killing;
    },
    pause: () => {
      if (alive()) process.kill(pid, 'SIGSTOP');
    },
    resume: () => {
      if (alive()) process.kill(pid, 'SIGCONT');
    },
  };
}

function waitUntilReady(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`redis-server on port ${port} was not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining so that a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`redis-server on port ${port} exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    const onError = (err: Error): void => fail(new Error(`could not start redis-server: ${err.message}`, { cause: err }));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
