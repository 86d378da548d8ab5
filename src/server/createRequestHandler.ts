import { diag } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NANOS_PER_USD } from '../core/money.js';
import type { UsageGroup } from '../ledger/Ledger.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';
import { adminGuard } from './adminGuard.js';
import { budgetRoutes } from './budgetRoutes.js';
import type { RouteGuards } from './budgetRoutes.js';
import { EventStream } from './EventStream.js';
import { HttpError, errorMessage } from './HttpError.js';
import { hostGuard } from './hostGuard.js';
import { pauseRoutes } from './pauseRoutes.js';
import { resetRoutes } from './resetRoutes.js';
import { readGuard } from './readGuard.js';
import { routeRequest } from './routeRequest.js';
import type { RouteEntry } from './routeRequest.js';
import { send, sendJson } from './sendJson.js';
import type { ServerDeps } from './ServerDeps.js';
import { defaultWebRoot, serveStatic } from './serveStatic.js';
import { positiveInt, usageQuery } from './usageQuery.js';

/** A node:http handler; usable with `http.createServer`, express, fastify's raw mode, ... */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const DEFAULT_MAX_BODY_BYTES = 65_536;
const DEFAULT_TRACE_LIMIT = 50;

/**
 * The tollgate HTTP API as one node:http request handler:
 *
 * - `GET /`: the web page (built into `webRoot` by `npm run build`) and its assets, with a strict CSP
 * - `GET /metrics`: Prometheus text exposition
 * - `GET /healthz`: 200 `{ ok, checks }`, or 503 when a check failed
 * - `GET /v1/usage?by=model|provider|task|session|agent|day|operation|status&since=&until=`
 *   (+ equality filters provider, model, task, session, agent, operation, status)
 * - `GET /v1/traces?limit=`, `GET /v1/traces/:id`
 * - `GET /v1/budgets`, `POST /v1/budgets` (409 for an existing id), `PUT|DELETE /v1/budgets/:id`
 * - `GET /v1/pause`, `POST /v1/pause`, `POST /v1/resume` (the kill switch)
 * - `GET /v1/status` (with seed 000's `session_cost_usd` and `trace_count` beside the camelCase fields)
 * - `GET /v1/events` (and seed 000's `/v1/logs`): server-sent events `usage`, `threshold`, `budget_exceeded`,
 *   `rate_limited`, `health_check_failed`
 *
 * Every request's Host must be one of `allowedHosts` (when set). The `/v1/` read routes need the
 * read token when one is required, the changing routes the admin token.
 *
 * Errors are JSON `{ "error": "..." }`: 400 bad input, 401 wrong token, 403 routes disabled or a
 * host not allowed, 404 unknown route or id, 405 wrong method, 409 an existing budget id, 413 body
 * too large, 415 a body that is not JSON, 500 a failing dependency, 503 too many event clients.
 */
export function createRequestHandler(deps: ServerDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const guards: RouteGuards = {
    requireAdmin: adminGuard(deps.adminToken),
    requireRead: readGuard({ readToken: deps.readToken, adminToken: deps.adminToken, required: deps.requireReadToken }),
    maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  const { requireRead } = guards;
  const checkHost = hostGuard(deps.allowedHosts);
  const stream = new EventStream(deps.events, {
    ...(deps.sseMaxClients !== undefined ? { maxClients: deps.sseMaxClients } : {}),
    ...(deps.sseMaxBufferedBytes !== undefined ? { maxBufferedBytes: deps.sseMaxBufferedBytes } : {}),
    ...(deps.sseHeartbeatMs !== undefined ? { heartbeatMs: deps.sseHeartbeatMs } : {}),
  });
  const webRoot = deps.webRoot ?? defaultWebRoot();

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
        GET: async (req, res, url) => {
          requireRead(req);
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
        GET: async (req, res, url) => {
          requireRead(req);
          const limit = positiveInt(url.searchParams, 'limit') ?? DEFAULT_TRACE_LIMIT;
          sendJson(res, 200, { traces: deps.traces.list(limit) });
        },
      },
    },
    {
      pattern: /^\/v1\/traces\/([^/]+)$/,
      methods: {
        GET: async (req, res, _url, [id = '']) => {
          requireRead(req);
          const trace = deps.traces.get(id);
          if (trace === undefined) throw new HttpError(404, `no trace "${id}" among the recent traces`);
          sendJson(res, 200, trace);
        },
      },
    },
    ...budgetRoutes(deps, guards),
    ...(deps.pause !== undefined ? pauseRoutes(deps.pause, guards) : []),
    ...(deps.budgets.resets !== undefined ? resetRoutes(deps.budgets.resets, guards) : []),
    {
      pattern: /^\/v1\/status$/,
      methods: {
        GET: async (req, res) => {
          requireRead(req);
          const extra = await deps.status();
          const body: Record<string, unknown> = {
            uptimeSeconds: (now() - startedAt) / 1000,
            traceCount: deps.traces.size,
            ...extra,
            events: stream.stats(),
            unpricedCalls: deps.metrics.unpricedCalls(),
          };
          // Seed 000's names for the same values.
          body.session_cost_usd = body.sessionCostUsd ?? null;
          body.trace_count = body.traceCount;
          if (deps.rateLimitStatus !== undefined) body.rateLimits = deps.rateLimitStatus();
          if (deps.leases !== undefined) body.leases = deps.leases();
          if (deps.pause !== undefined) body.pause = deps.pause.current();
          sendJson(res, 200, body);
        },
      },
    },
    {
      pattern: /^\/v1\/(?:events|logs)$/, // /v1/logs: seed 000's name of the same stream
      methods: {
        GET: async (req, res) => {
          requireRead(req);
          stream.serve(req, res);
        },
      },
    },
  ];
  if (webRoot !== false) {
    const page = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> =>
      serveStatic(res, webRoot, url.pathname, req.method === 'HEAD');
    routes.push({ pattern: /^\/(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:html|js|css|svg|png|webmanifest))?$/, methods: { GET: page, HEAD: page } });
  }

  return (req, res) => {
    try {
      checkHost(req);
    } catch (err: unknown) {
      req.resume();
      if (err instanceof HttpError) sendJson(res, err.statusCode, { error: err.message }, err.headers);
      else sendJson(res, 500, { error: 'internal error' });
      return;
    }
    void routeRequest(req, res, routes).catch((err: unknown) => {
      diag.error('tollgate: HTTP handler failed', err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}

function totalOf(groups: readonly UsageGroup[]): UsageGroup {
  return { key: '', ...sumUsage(groups) };
}

function withUsd(group: UsageGroup): UsageGroup & { costUsd: number } {
  return { ...group, costUsd: group.costNanos / NANOS_PER_USD };
}
