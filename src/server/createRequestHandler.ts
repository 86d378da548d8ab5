import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { BudgetSpec } from '../core/Budget.js';
import type { TollgateEventName } from '../events/TollgateEvents.js';
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../ledger/Ledger.js';
import type { UsageStatus } from '../core/UsageRecord.js';
import type { ServerDeps } from './ServerDeps.js';
import { parseTimeParam } from './parseTimeParam.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';

/** A node:http handler; usable with `http.createServer`, express, fastify's raw mode, ... */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const DEFAULT_MAX_BODY_BYTES = 65_536;
const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_TRACE_LIMIT = 50;
const NANOS_PER_USD = 1_000_000_000;
const USAGE_GROUP_BY: readonly UsageGroupBy[] = ['model', 'provider', 'task', 'session', 'agent', 'day', 'operation', 'status'];
const USAGE_STATUSES: readonly UsageStatus[] = ['ok', 'error', 'denied', 'cost_exceeded'];
const USAGE_FILTERS = ['provider', 'model', 'task', 'session', 'agent', 'operation'] as const;
const SSE_EVENTS: readonly TollgateEventName[] = ['usage', 'threshold', 'budget_exceeded'];

/** An error answered as `{ "error": message }` with its status code. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

interface RouteEntry {
  pattern: RegExp;
  methods: Record<string, Route>;
}

/**
 * The tollgate HTTP API as one node:http request handler:
 *
 * - `GET /metrics`: Prometheus text exposition
 * - `GET /healthz`: 200 `{ ok, checks }`, or 503 when a check failed
 * - `GET /v1/usage?by=model|provider|task|session|agent|day|operation|status&since=&until=`
 *   (+ equality filters provider, model, task, session, agent, operation, status)
 * - `GET /v1/traces?limit=`, `GET /v1/traces/:id`
 * - `GET /v1/budgets`, `POST /v1/budgets`, `DELETE /v1/budgets/:id` (the last two need `Authorization: Bearer <adminToken>`)
 * - `GET /v1/status`
 * - `GET /v1/events`: server-sent events `usage`, `threshold`, `budget_exceeded`
 *
 * Errors are JSON `{ "error": "..." }`: 400 bad input, 401 wrong token, 403 admin routes
 * disabled, 404 unknown route or id, 405 wrong method, 413 body too large, 500 a failing dependency.
 */
export function createRequestHandler(deps: ServerDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const heartbeatMs = deps.sseHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const tokenDigest =
    deps.adminToken !== undefined && deps.adminToken !== '' ? sha256(deps.adminToken) : undefined;

  const requireAdmin = (req: IncomingMessage): void => {
    if (tokenDigest === undefined) {
      throw new HttpError(
        403,
        'budget changes over HTTP are disabled: set TOLLGATE_ADMIN_TOKEN (or the adminToken option) to enable them',
      );
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = sha256(match?.[1]?.trim() ?? '');
    if (match === null || !timingSafeEqual(given, tokenDigest)) {
      throw new HttpError(401, 'missing or wrong admin token: send "Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>"', {
        'www-authenticate': 'Bearer',
      });
    }
  };

  const routes: RouteEntry[] = [
    {
      pattern: /^\/metrics$/,
      methods: {
        GET: async (_req, res) => {
          const text = await deps.metrics.metricsText();
          send(res, 200, text, deps.metrics.contentType);
        },
      },
    },
    {
      pattern: /^\/healthz$/,
      methods: {
        GET: async (_req, res) => {
          let report;
          try {
            report = await deps.health();
          } catch (err: unknown) {
            report = { ok: false, checks: { health: { ok: false, error: errorMessage(err) } } };
          }
          sendJson(res, report.ok ? 200 : 503, report);
        },
      },
    },
    {
      pattern: /^\/v1\/usage$/,
      methods: {
        GET: async (_req, res, url) => {
          const query = usageQuery(url.searchParams, now());
          const groups = await deps.usage(query);
          sendJson(res, 200, {
            by: query.by,
            since: query.since ?? null,
            until: query.until ?? null,
            groups: groups.map(withUsd),
            total: withUsd(totalOf(groups)),
          });
        },
      },
    },
    {
      pattern: /^\/v1\/traces$/,
      methods: {
        GET: async (_req, res, url) => {
          const limit = positiveInt(url.searchParams, 'limit') ?? DEFAULT_TRACE_LIMIT;
          sendJson(res, 200, { traces: deps.traces.list(limit) });
        },
      },
    },
    {
      pattern: /^\/v1\/traces\/([^/]+)$/,
      methods: {
        GET: async (_req, res, _url, [id = '']) => {
          const trace = deps.traces.get(id);
          if (trace === undefined) throw new HttpError(404, `no trace "${id}" among the recent traces`);
          sendJson(res, 200, trace);
        },
      },
    },
    {
      pattern: /^\/v1\/budgets$/,
      methods: {
        GET: async (_req, res) => {
          const [budgets, status] = await Promise.all([deps.budgets.list(), deps.budgets.status()]);
          sendJson(res, 200, { budgets, status });
        },
        POST: async (req, res) => {
          requireAdmin(req);
          const body = await readJson(req, maxBodyBytes);
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new HttpError(400, 'the request body must be a JSON object describing one budget, e.g. {"scope":"daily","maxUsd":20}');
          }
          let created: unknown;
          try {
            created = await deps.budgets.add(body as BudgetSpec);
          } catch (err: unknown) {
            throw new HttpError(400, `invalid budget: ${errorMessage(err)}`);
          }
          sendJson(res, 201, { budget: created ?? body });
        },
      },
    },
    {
      pattern: /^\/v1\/budgets\/([^/]+)$/,
      methods: {
        DELETE: async (req, res, _url, [id = '']) => {
          requireAdmin(req);
          const removed = await deps.budgets.remove(id);
          if (!removed) throw new HttpError(404, `no budget with id "${id}"`);
          sendJson(res, 200, { deleted: id });
        },
      },
    },
    {
      pattern: /^\/v1\/status$/,
      methods: {
        GET: async (_req, res) => {
          const extra = await deps.status();
          const body: Record<string, unknown> = {
            uptimeSeconds: (now() - startedAt) / 1000,
            traceCount: deps.traces.size,
            ...extra,
          };
          if (deps.rateLimitStatus !== undefined) body.rateLimits = deps.rateLimitStatus();
          sendJson(res, 200, body);
        },
      },
    },
    {
      pattern: /^\/v1\/events$/,
      methods: {
        GET: async (req, res) => {
          serveEvents(req, res, deps, heartbeatMs);
        },
      },
    },
  ];

  return (req, res) => {
    void handle(req, res, routes).catch((err: unknown) => {
      diag.error('tollgate: HTTP handler failed', err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: readonly RouteEntry[]): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    sendJson(res, 400, { error: 'malformed request URL' });
    return;
  }
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const method = req.method ?? 'GET';
  for (const entry of routes) {
    const match = entry.pattern.exec(path);
    if (match === null) continue;
    const route = entry.methods[method];
    if (route === undefined) {
      req.resume();
      const allow = Object.keys(entry.methods).join(', ');
      sendJson(res, 405, { error: `method ${method} is not allowed on ${path}; use ${allow}` }, { allow });
      return;
    }
    try {
      const params = match.slice(1).map(decodeSegment);
      await route(req, res, url, params);
    } catch (err: unknown) {
      if (err instanceof HttpError) {
        req.resume();
        sendJson(res, err.statusCode, { error: err.message }, err.headers);
        return;
      }
      diag.error(`tollgate: ${method} ${path} failed`, err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 500, { error: `${method} ${path} failed: ${errorMessage(err)}` });
    }
    return;
  }
  req.resume();
  sendJson(res, 404, { error: `no route ${path}` });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed path segment "${segment}"`);
  }
}

function usageQuery(params: URLSearchParams, now: number): UsageQuery {
  const by = params.get('by') ?? 'model';
  if (!(USAGE_GROUP_BY as readonly string[]).includes(by)) {
    throw new HttpError(400, `parameter "by" is "${by}"; use one of ${USAGE_GROUP_BY.join(', ')}`);
  }
  const query: UsageQuery = { by: by as UsageGroupBy };
  for (const name of ['since', 'until'] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    const ms = parseTimeParam(raw, now);
    if (ms === undefined) {
      throw new HttpError(
        400,
        `parameter "${name}" is "${raw}"; use an ISO date (2026-11-23T00:00:00Z), epoch milliseconds, or a duration ago (30m, 24h, 7d)`,
      );
    }
    query[name] = ms;
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    throw new HttpError(400, 'parameter "since" is after "until"');
  }
  const where: NonNullable<UsageQuery['where']> = {};
  for (const name of USAGE_FILTERS) {
    const value = params.get(name);
    if (value !== null) where[name] = value;
  }
  const status = params.get('status');
  if (status !== null) {
    if (!(USAGE_STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(400, `parameter "status" is "${status}"; use one of ${USAGE_STATUSES.join(', ')}`);
    }
    where.status = status as UsageStatus;
  }
  if (Object.keys(where).length > 0) query.where = where;
  return query;
}

function positiveInt(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new HttpError(400, `parameter "${name}" is "${raw}"; use a positive integer`);
  }
  return Number(raw);
}

function totalOf(groups: readonly UsageGroup[]): UsageGroup {
  return { key: '', ...sumUsage(groups) };
}

function withUsd(group: UsageGroup): UsageGroup & { costUsd: number } {
  return { ...group, costUsd: group.costNanos / NANOS_PER_USD };
}

function serveEvents(req: IncomingMessage, res: ServerResponse, deps: ServerDeps, heartbeatMs: number): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const write = (event: TollgateEventName, payload: unknown): void => {
    try {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    } catch (err: unknown) {
      diag.warn(`tollgate: writing a "${event}" server-sent event failed`, err);
    }
  };
  const unsubscribers = SSE_EVENTS.map((event) => deps.events.on(event, (payload: unknown) => write(event, payload)));
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  heartbeat.unref();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
  req.on('close', close);
  res.on('close', close);
  res.on('error', (err: Error) => {
    diag.debug('tollgate: server-sent events connection failed', err);
    close();
  });
}

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new HttpError(413, `request body is ${declared} bytes; the limit is ${maxBytes}`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `request body is over the limit of ${maxBytes} bytes`, { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err: Error) => {
      if (!failed) reject(err);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(new HttpError(400, 'the request body is empty; send a JSON object'));
        return;
      }
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err: unknown) {
        reject(new HttpError(400, `the request body is not valid JSON: ${errorMessage(err)}`));
      }
    });
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function send(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}
