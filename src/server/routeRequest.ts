import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import { HttpError, errorMessage } from './HttpError.js';
import { sendJson } from './sendJson.js';

/** Serves one route; `params` are the decoded groups of the route's pattern. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

/** A path pattern and its routes by method. */
export interface RouteEntry {
  pattern: RegExp;
  methods: Record<string, Route>;
}

/**
 * Serves a request with the first entry whose pattern matches its path (trailing slashes
 * ignored): 404 when none does, 405 with `allow` when the method is not served, an HttpError
 * as its status and message, and any other error as a 500 naming the route.
 */
export async function routeRequest(req: IncomingMessage, res: ServerResponse, routes: readonly RouteEntry[]): Promise<void> {
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
