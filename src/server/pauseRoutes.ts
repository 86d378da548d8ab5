import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';
import type { RouteEntry } from './routeRequest.js';
import { sendJson } from './sendJson.js';
import type { PauseAdmin } from './ServerDeps.js';
import type { RouteGuards } from './budgetRoutes.js';

/** Whether the request has a body to read (a declared length above 0, or a chunked one). */
function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

async function reasonOf(req: IncomingMessage, maxBodyBytes: number): Promise<string | undefined> {
  if (!hasBody(req)) return undefined;
  const body = await readJson(req, maxBodyBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object like {"reason":"incident 42"}');
  const reason = (body as { reason?: unknown }).reason;
  if (reason !== undefined && typeof reason !== 'string') throw new HttpError(400, '"reason" must be a string');
  return reason;
}

/**
 * The kill switch over HTTP: `GET /v1/pause` (read token) answers its state; with the admin token
 * `POST /v1/pause` (optional JSON body `{ "reason": "..." }`) refuses every call until
 * `POST /v1/resume`.
 */
export function pauseRoutes(pause: PauseAdmin, guards: RouteGuards): RouteEntry[] {
  return [
    {
      pattern: /^\/v1\/pause$/,
      methods: {
        GET: async (req, res) => {
          guards.requireRead(req);
          sendJson(res, 200, pause.current());
        },
        POST: async (req, res) => {
          guards.requireAdmin(req);
          const reason = await reasonOf(req, guards.maxBodyBytes);
          await pause.pause(reason);
          sendJson(res, 200, pause.current());
        },
      },
    },
    {
      pattern: /^\/v1\/resume$/,
      methods: {
        POST: async (req, res) => {
          guards.requireAdmin(req);
          req.resume();
          const resumed = await pause.resume();
          sendJson(res, 200, { ...pause.current(), resumed });
        },
      },
    },
  ];
}
