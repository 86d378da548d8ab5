import type { ServerResponse } from 'node:http';

/** Sends a JSON body with the given status and extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** One server-sent event: `event:` line (optional) and its `data:` payload. */
export interface SseEvent {
  event?: string;
  /** A string is sent as is (e.g. `[DONE]`), anything else as JSON. */
  data: unknown;
}

/**
 * Streams `events` as `text/event-stream`, waiting `delayMs` between events (0: no wait).
 * Stops early when the client goes away.
 */
export async function sendSse(
  res: ServerResponse,
  events: Iterable<SseEvent>,
  delayMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  for (const event of events) {
    if (res.destroyed || res.writableEnded) return;
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    const frame = `${event.event !== undefined ? `event: ${event.event}\n` : ''}data: ${data}\n\n`;
    const flushed = res.write(frame);
    if (!flushed) await waitForDrain(res);
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
  }
  if (!res.destroyed) res.end();
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
