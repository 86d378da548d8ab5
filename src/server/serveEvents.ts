import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { TollgateEventName } from '../events/TollgateEvents.js';
import type { ServerDeps } from './ServerDeps.js';

const SSE_EVENTS: readonly TollgateEventName[] = ['usage', 'threshold', 'budget_exceeded'];

/**
 * Streams the events `usage`, `threshold` and `budget_exceeded` as server-sent events, with a
 * heartbeat comment every `heartbeatMs` (unref'ed), until either side closes.
 */
export function serveEvents(req: IncomingMessage, res: ServerResponse, events: ServerDeps['events'], heartbeatMs: number): void {
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
  const unsubscribers = SSE_EVENTS.map((event) => events.on(event, (payload: unknown) => write(event, payload)));
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
