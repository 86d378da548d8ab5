import { request } from 'node:http';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import { Problems } from '../../src/core/Problems.js';
import { EventBus } from '../../src/events/EventBus.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { TollgateMetrics } from '../../src/metrics/TollgateMetrics.js';
import type { ServerDeps } from '../../src/server/ServerDeps.js';
import { startServer } from '../../src/server/startServer.js';
import type { RunningServer, StartServerOptions } from '../../src/server/startServer.js';
import { TraceRing } from '../../src/traces/TraceRing.js';
import { linearPricer } from '../budget/engineHarness.js';

export const ADMIN = 'admin-t0ken';
export const READER = 'read-t0ken';

/** A server over a real engine on a memory store, with the admin token ADMIN. */
export interface ServerFixture {
  server: RunningServer;
  engine: BudgetEngine;
  ledger: MemoryLedger;
  events: EventBus;
  deps: ServerDeps;
}

export async function startFixture(overrides: Partial<ServerDeps> = {}, listen: StartServerOptions = { port: 0 }): Promise<ServerFixture> {
  const ledger = new MemoryLedger();
  const events = new EventBus();
  const engine = new BudgetEngine({ ledger, pricer: linearPricer(), events, problems: new Problems({ write: () => undefined }) });
  const deps: ServerDeps = {
    metrics: new TollgateMetrics(),
    budgets: engine,
    pause: engine.killSwitch,
    usage: (q) => ledger.usage(q),
    traces: new TraceRing(),
    events,
    health: () => ({ ok: true, checks: {} }),
    status: () => ({}),
    adminToken: ADMIN,
    webRoot: false,
    ...overrides,
  };
  const server = await startServer(deps, listen);
  return { server, engine, ledger, events, deps };
}

/** A raw HTTP request (so that the Host header can be anything), answered as status, headers and text. */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
