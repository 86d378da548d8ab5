import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';
import type { RouteEntry } from './routeRequest.js';
import { sendJson } from './sendJson.js';
import type { ResetAdmin } from './ServerDeps.js';
import type { RouteGuards } from './budgetRoutes.js';

/** Most resets `GET /v1/resets` answers. */
const MAX_LIMIT = 1_000;

/** The `actor` of an optional JSON body `{ "actor": "alice" }`; undefined without a body. */
async function actorOf(req: IncomingMessage, maxBodyBytes: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!(declared > 0) && req.headers['transfer-encoding'] === undefined) return undefined;
  const body = await readJson(req, maxBodyBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object like {"actor":"alice"}');
  const actor = (body as { actor?: unknown }).actor;
  if (actor !== undefined && (typeof actor !== 'string' || actor.trim() === '')) throw new HttpError(400, '"actor" must be a non-empty string (who asked for the reset)');
  return actor;
}

/**
 * Resets over HTTP. With the admin token, `POST /v1/sessions/:id/reset` (optional JSON body
 * `{ "actor": "alice" }`, default actor `http`) sets the session's budget counters to zero and
 * answers the logged reset; usage and records stay. `GET /v1/resets?limit=N` (read token) lists
 * the reset log, newest first.
 */
export function resetRoutes(resets: ResetAdmin, guards: RouteGuards): RouteEntry[] {
  return [
    {
      pattern: /^\/v1\/sessions\/([^/]+)\/reset$/,
      methods: {
        POST: async (req, res, _url, [id = '']) => {
          guards.requireAdmin(req);
          const actor = (await actorOf(req, guards.maxBodyBytes)) ?? 'http';
          if (id.trim() === '') throw new HttpError(400, 'the session id in /v1/sessions/:id/reset must not be empty');
          sendJson(res, 200, await resets.session(id, actor));
        },
      },
    },
    {
      pattern: /^\/v1\/resets$/,
      methods: {
        GET: async (req, res, url) => {
          guards.requireRead(req);
          const raw = url.searchParams.get('limit');
          const limit = raw === null ? undefined : Number(raw);
          if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)) {
            throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_LIMIT}; got "${raw}"`);
          }
          sendJson(res, 200, { resets: await resets.list(limit) });
        },
      },
    },
  ];
}
