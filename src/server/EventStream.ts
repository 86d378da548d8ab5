import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { TollgateEventName } from '../events/TollgateEvents.js';
import type { ServerDeps } from './ServerDeps.js';
import { sendJson } from './sendJson.js';

const SSE_EVENTS: readonly TollgateEventName[] = ['usage', 'threshold', 'budget_exceeded', 'rate_limited', 'health_check_failed', 'store_reset', 'lease'];

/** Options of `EventStream`. */
export interface EventStreamOptions {
  /** Most clients at once; one more is answered 503. Default 100. */
  maxClients?: number;
  /**
   * Bytes queued for one client (what its socket has not taken) before it is disconnected as too
   * slow. Default 262144 (256 KiB).
   */
  maxBufferedBytes?: number;
  /** Interval of the heartbeat comment, ms. Default 15000. */
  heartbeatMs?: number;
}

/** Counters of the event stream, served in /v1/status as `events`. */
export interface EventStreamStats {
  /** Clients connected now. */
  clients: number;
  /** Clients disconnected because they did not read (their queue passed maxBufferedBytes). */
  slowDisconnected: number;
  /** Connections refused because maxClients were connected. */
  refused: number;
}

/**
 * The server-sent events of `/v1/events` and `/v1/logs` (`usage`, `threshold`, `budget_exceeded`,
 * `rate_limited`, `health_check_failed`, `store_reset`, `lease`) for every
 * client: each event is serialised once and written to every client. A client that stops reading
 * is disconnected once its queue passes `maxBufferedBytes` (an `EventSource` reconnects by itself),
 * so memory stays bounded at about maxClients × maxBufferedBytes whatever the event rate.
 * Subscribes to the events only while a client is connected.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;
  private readonly heartbeatMs: number;
  private unsubscribers: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private slow = 0;
  private refusedCount = 0;

  constructor(
    private readonly events: ServerDeps['events'],
    options: EventStreamOptions = {},
  ) {
    this.maxClients = options.maxClients ?? 100;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 262_144;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  stats(): EventStreamStats {
    return { clients: this.clients.size, slowDisconnected: this.slow, refused: this.refusedCount };
  }

  /** Serves one client until either side closes; 503 (with retry-after) when maxClients are connected. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.maxClients) {
      this.refusedCount++;
      sendJson(res, 503, { error: `too many event-stream clients (${this.maxClients}); try again later` }, { 'retry-after': '10' });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write(': connected\n\n');
    this.clients.add(res);
    if (this.clients.size === 1) this.start();
    const close = (): void => {
      if (!this.clients.delete(res)) return;
      if (this.clients.size === 0) this.stop();
    };
    req.on('close', close);
    res.on('close', close);
    res.on('error', (err: Error) => {
      diag.debug('tollgate: server-sent events connection failed', err);
      close();
    });
  }

  /** Ends every client's stream. */
  close(): void {
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
    this.stop();
  }

  private start(): void {
    this.unsubscribers = SSE_EVENTS.map((event) => this.events.on(event, (payload: unknown) => this.broadcast(event, payload)));
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private broadcast(event: TollgateEventName, payload: unknown): void {
    let frame: string;
    try {
      frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    } catch (err: unknown) {
      diag.warn(`tollgate: a "${event}" server-sent event could not be serialised`, err);
      return;
    }
    this.writeAll(frame);
  }

  private writeAll(frame: string): void {
    for (const res of this.clients) {
      if (res.writableLength + frame.length > this.maxBufferedBytes) {
        this.slow++;
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(frame);
    }
    if (this.clients.size === 0) this.stop();
  }
}
