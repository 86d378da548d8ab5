import type { IncomingMessage } from 'node:http';
import { normalizeBudget } from '../budget/normalizeBudget.js';
import type { BudgetSpec } from '../core/Budget.js';
import { HttpError, errorMessage } from './HttpError.js';
import { readJson } from './readJson.js';
import type { RouteEntry } from './routeRequest.js';
import { sendJson } from './sendJson.js';
import type { ServerDeps } from './ServerDeps.js';

/** The checks budget routes run before anything else. */
export interface RouteGuards {
  requireRead: (req: IncomingMessage) => void;
  requireAdmin: (req: IncomingMessage) => void;
  maxBodyBytes: number;
}

/** The id of a listed budget, if it has one. */
/** The reason of a refused budget, once prefixed. */
function invalid(err: unknown): HttpError {
  return new HttpError(400, `invalid budget: ${errorMessage(err).replace(/^tollgate: invalid budget: /, '')}`);
}

function idOf(budget: unknown): string | undefined {
  if (typeof budget !== 'object' || budget === null) return undefined;
  const id = (budget as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

async function readBudget(req: IncomingMessage, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const body = await readJson(req, maxBodyBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'the request body must be a JSON object describing one budget, e.g. {"scope":"daily","maxUsd":20}');
  }
  return body as Record<string, unknown>;
}

/** The budget's id as the engine will store it (explicit or the default for its scope and filters); 400 when invalid. */
function budgetIdOf(spec: Record<string, unknown>): string {
  try {
    return normalizeBudget(spec as unknown as BudgetSpec, 'budget').id;
  } catch (err: unknown) {
    throw invalid(err);
  }
}

async function exists(deps: ServerDeps, id: string): Promise<boolean> {
  return (await deps.budgets.list()).some((b) => idOf(b) === id);
}

async function store(deps: ServerDeps, spec: Record<string, unknown>): Promise<unknown> {
  try {
    return (await deps.budgets.add(spec as unknown as BudgetSpec)) ?? spec;
  } catch (err: unknown) {
    throw invalid(err);
  }
}

/**
 * `GET /v1/budgets` (read token), and with the admin token: `POST /v1/budgets` creates a budget
 * (409 when its id exists), `PUT /v1/budgets/:id` creates or replaces one (200 replaced, 201
 * created), `DELETE /v1/budgets/:id` removes one (404 when unknown). Bodies must be
 * `Content-Type: application/json` (415 otherwise).
 */
export function budgetRoutes(deps: ServerDeps, guards: RouteGuards): RouteEntry[] {
  const { requireRead, requireAdmin, maxBodyBytes } = guards;
  return [
    {
      pattern: /^\/v1\/budgets$/,
      methods: {
        GET: async (req, res) => {
          requireRead(req);
          const [budgets, status] = await Promise.all([deps.budgets.list(), deps.budgets.status()]);
          sendJson(res, 200, {
            budgets,
            status,
            ...(deps.leases !== undefined ? { leases: deps.leases() } : {}),
            ...(deps.pause !== undefined ? { pause: deps.pause.current() } : {}),
          });
        },
        POST: async (req, res) => {
          requireAdmin(req);
          const spec = await readBudget(req, maxBodyBytes);
          const id = budgetIdOf(spec);
          if (await exists(deps, id)) {
            throw new HttpError(409, `a budget with id "${id}" exists; replace it with PUT /v1/budgets/${encodeURIComponent(id)}, or choose another id`);
          }
          sendJson(res, 201, { budget: await store(deps, spec) });
        },
      },
    },
    {
      pattern: /^\/v1\/budgets\/([^/]+)$/,
      methods: {
        PUT: async (req, res, _url, [id = '']) => {
          requireAdmin(req);
          const spec = await readBudget(req, maxBodyBytes);
          if (spec.id !== undefined && spec.id !== id) {
            throw new HttpError(400, `the body's id "${String(spec.id)}" differs from the path's "${id}"; leave it out or make them equal`);
          }
          const existed = await exists(deps, id);
          const budget = await store(deps, { ...spec, id });
          sendJson(res, existed ? 200 : 201, { budget, replaced: existed });
        },
        DELETE: async (req, res, _url, [id = '']) => {
          requireAdmin(req);
          const removed = await deps.budgets.remove(id);
          if (!removed) throw new HttpError(404, `no budget with id "${id}"`);
          sendJson(res, 200, { deleted: id });
        },
      },
    },
  ];
}
