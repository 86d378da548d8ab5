import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers one request. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Answer only once this settles. */
  holdUntil?: Promise<void>;
  /** Never answer (the client must time out). */
  never?: boolean;
}

/**
 * A local HTTP receiver on 127.0.0.1 (random port) that records every request
 * and answers from a script of replies (200 once the script runs out).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly replies: Reply[] = [];
  private readonly waiters: Array<(request: ReceivedRequest) => void> = [];
  private taken = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/hook'): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver?.handle(
          { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') },
          (reply) => {
            res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
            res.end(String(reply.status));
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new Receiver(server, `http://127.0.0.1:${port}${path}`);
    return receiver;
  }

  /** Queue replies for the next requests, in order. */
  reply(...replies: Array<Reply | number>): void {
    for (const r of replies) this.replies.push(typeof r === 'number' ? { status: r } : r);
  }

  /** The next request not yet taken by this method (waits for it to arrive). */
  nextRequest(): Promise<ReceivedRequest> {
    const index = this.taken++;
    const existing = this.requests[index];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  bodies(): unknown[] {
    return this.requests.map((r) => JSON.parse(r.body) as unknown);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private handle(request: ReceivedRequest, answer: (reply: Reply) => void): void {
    this.requests.push(request);
    const reply = this.replies.shift() ?? { status: 200 };
    const waiter = this.waiters.shift();
    waiter?.(request);
    if (reply.never === true) return;
    if (reply.holdUntil) void reply.holdUntil.then(() => answer(reply));
    else answer(reply);
  }
}

/** A promise and the function that settles it. */
export function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}
