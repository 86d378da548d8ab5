import { diag } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BudgetSpec } from '../core/Budget.js';
import { NANOS_PER_USD } from '../core/money.js';
import type { UsageGroup } from '../ledger/Ledger.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';
import { adminGuard } from './adminGuard.js';
import { HttpError, errorMessage } from './HttpError.js';
import { readJson } from './readJson.js';
import { routeRequest } from './routeRequest.js';
import type { RouteEntry } from './routeRequest.js';
import { send, sendJson } from './sendJson.js';
import { serveEvents } from './serveEvents.js';
import type { ServerDeps } from './ServerDeps.js';
import { positiveInt, usageQuery } from './usageQuery.js';

/** A node:http handler; usable with `http.createServer`, express, fastify's raw mode, ... */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const DEFAULT_MAX_BODY_BYTES = 65_536;
const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_TRACE_LIMIT = 50;

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
  const requireAdmin = adminGuard(deps.adminToken);

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
          serveEvents(req, res, deps.events, heartbeatMs);
        },
      },
    },
  ];

  return (req, res) => {
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
