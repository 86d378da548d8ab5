import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

/** One request as the fake server received it. */
export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when the body was empty or not JSON). */
  body: unknown;
}

/** A running fake HTTP server (node:http on 127.0.0.1, random port). */
export interface FakeHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Stops the server and drops open connections. Idempotent. */
  close(): Promise<void>;
}

export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => Promise<void>;

/** Starts a node:http server on 127.0.0.1 (port 0) that records each request and passes it to `handler`. */
export async function startFakeHttpServer(handler: FakeHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        body = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const recorded: RecordedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers, body };
      requests.push(recorded);
      handler(recorded, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
        }
        res.end(JSON.stringify({ error: { message: `fake server failure: ${String(err)}` } }));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

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

/** A short stable id derived from a value (same request → same id). */
export function stableId(prefix: string, value: unknown): string {
  return `${prefix}${createHash('sha256').update(JSON.stringify(value) ?? '').digest('hex').slice(0, 24)}`;
}

/**
 * Number of whitespace-separated words in every string found in `value`, except the
 * values of `role` and `type` fields (at least 1). The fakes' default input token count.
 */
export function countWords(value: unknown): number {
  let words = 0;
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      words += v.split(/\s+/).filter((w) => w !== '').length;
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) if (key !== 'role' && key !== 'type') visit(item);
    }
  };
  visit(value);
  return Math.max(1, words);
}

/** The deterministic reply text of `count` tokens: `tok0 tok1 tok2 ...` (one token per word). */
export function replyTokens(count: number, text?: string): string[] {
  if (text !== undefined) return text.match(/\s*\S+/g) ?? [];
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(i === 0 ? 'tok0' : ` tok${i}`);
  return tokens;
}

/** A FIFO of scripted replies; `next()` returns undefined when empty. */
export class ReplyQueue<T> {
  readonly #items: T[] = [];
  push(...items: T[]): void {
    this.#items.push(...items);
  }
  next(): T | undefined {
    return this.#items.shift();
  }
}

/** Reads a property of an unknown value. */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}
