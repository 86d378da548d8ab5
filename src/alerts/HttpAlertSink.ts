import { diag } from '@opentelemetry/api';
import type { Alert } from './Alert.js';
import type { AlertSink } from './AlertSink.js';

/**
 * Options shared by the HTTP sinks (`WebhookSink`, `SlackSink`).
 */
export interface HttpAlertSinkOptions {
  /** Receiver URL, http: or https:. Required. Only its origin ever appears in logs. */
  url: string;
  /** Timeout of one attempt, in ms (AbortSignal.timeout). Default 5000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on a network error, a timeout, 408, 429 or 5xx. Other 4xx are not retried. Default 3. */
  retries?: number;
  /**
   * Backoff before retry n (0-based) is `backoffMs * 2^n`, or the receiver's
   * `Retry-After` when that is longer (capped at 30 s). Default 250.
   */
  backoffMs?: number;
  /** Randomise each backoff between 50% and 100% of its value. Default true; turn off for deterministic tests. */
  jitter?: boolean;
  /** Extra request headers (e.g. an authorization header). `content-type: application/json` is always sent unless overridden here. Default none. */
  headers?: Record<string, string>;
  /** Alerts waiting for delivery beyond this many are dropped, oldest first, with a diag warning. Default 1000. */
  maxQueueSize?: number;
  /** Service name put into payloads. Default: none. */
  service?: string;
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * How to wait between retries. Default: an unref'd timer (kept referenced
   * while someone awaits `flush()`/`shutdown()`), so a retry never keeps the
   * host process alive on its own.
   */
  sleep?: (ms: number) => Promise<void>;
}

/** Delivery counters of an HTTP sink. */
export interface AlertSinkStats {
  /** Alerts the receiver accepted (2xx). */
  delivered: number;
  /** Alerts that failed for good (retries exhausted, non-retryable status, or unserialisable). */
  errors: number;
  /** Alerts dropped because the queue was full or the sink was shut down. */
  dropped: number;
}

type AttemptOutcome =
  | { ok: true }
  | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Base of the HTTP sinks: a bounded in-memory queue drained in the background,
 * one POST at a time (alerts arrive in order), with timeout, retries and
 * exponential backoff. Subclasses only say what the JSON body is.
 */
export abstract class HttpAlertSink implements AlertSink {
  protected readonly service: string | undefined;
  private readonly url: string;
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly jitter: boolean;
  private readonly headers: Record<string, string>;
  private readonly maxQueueSize: number;
  private readonly fetchImpl: typeof fetch;
  private readonly customSleep: ((ms: number) => Promise<void>) | undefined;

  private readonly queue: Alert[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;
  private flushers = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private readonly counts: AlertSinkStats = { delivered: 0, errors: 0, dropped: 0 };

  /** @throws Error naming the bad option when the options are invalid. */
  constructor(options: HttpAlertSinkOptions) {
    const name = this.constructor.name;
    if (typeof options.url !== 'string' || !isHttpUrl(options.url)) {
      throw new Error(
        `tollgate: ${name} option "url" must be an http:// or https:// URL, got ${JSON.stringify(options.url)}; ` +
          'set it to the address of your webhook receiver',
      );
    }
    this.url = options.url;
    this.origin = new URL(options.url).origin;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
    this.jitter = options.jitter ?? true;
    this.headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
    this.maxQueueSize = options.maxQueueSize ?? 1000;
    this.service = options.service;
    this.customSleep = options.sleep;
    checkNumber(name, 'timeoutMs', this.timeoutMs, 1, 'a timeout in milliseconds, e.g. 5000');
    checkNumber(name, 'retries', this.retries, 0, 'a whole number of retries, e.g. 3', true);
    checkNumber(name, 'backoffMs', this.backoffMs, 0, 'a delay in milliseconds, e.g. 250');
    checkNumber(name, 'maxQueueSize', this.maxQueueSize, 1, 'a whole number, e.g. 1000', true);
    for (const [key, value] of Object.entries(this.headers)) {
      if (typeof value !== 'string') {
        throw new Error(`tollgate: ${name} option "headers.${key}" must be a string; quote the value`);
      }
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new Error(`tollgate: ${name} needs fetch (Node >= 20 has it); pass the "fetch" option`);
    }
    this.fetchImpl = fetchImpl;
  }

  /** The JSON body to POST for one alert. */
  protected abstract payload(alert: Alert): unknown;

  /** Queue the alert; the POST starts on a later turn of the event loop. Never throws. */
  send(alert: Alert): void {
    try {
      if (this.closed) {
        this.counts.dropped++;
        diag.debug(`tollgate: ${this.constructor.name} is shut down; alert dropped`);
        return;
      }
      if (this.queue.length >= this.maxQueueSize) {
        this.queue.shift();
        this.counts.dropped++;
        diag.warn(
          `tollgate: ${this.constructor.name} queue for ${this.origin} is full (${this.maxQueueSize}); dropped the oldest alert`,
        );
      }
      this.queue.push(alert);
      this.startDraining();
    } catch (err: unknown) {
      this.counts.errors++;
      diag.error(`tollgate: ${this.constructor.name}.send failed`, err);
    }
  }

  /** Resolves when the queue is empty and nothing is in flight. Never rejects. */
  async flush(): Promise<void> {
    this.flushers++;
    this.backoffTimer?.ref();
    try {
      while (this.draining) await this.draining;
    } finally {
      this.flushers--;
      if (this.flushers === 0) this.backoffTimer?.unref();
    }
  }

  /** Flush, then drop any later alert. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.flush().then(() => {
      this.closed = true;
    });
    return this.shutdownPromise;
  }

  /** Delivery counters so far. */
  stats(): AlertSinkStats {
    return { ...this.counts };
  }

  /** Alerts that failed for good (see `stats()`). */
  get errors(): number {
    return this.counts.errors;
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = new Promise<void>((resolve) => {
      // A later macrotask: the caller's call path does no I/O work at all.
      setImmediate(resolve);
    }).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    for (;;) {
      const alert = this.queue.shift();
      if (alert === undefined) break;
      try {
        await this.deliver(alert);
      } catch (err: unknown) {
        this.counts.errors++;
        diag.error(`tollgate: ${this.constructor.name} delivery failed unexpectedly`, err);
      }
    }
    this.draining = undefined;
  }

  private async deliver(alert: Alert): Promise<void> {
    let body: string;
    try {
      body = JSON.stringify(this.payload(alert));
    } catch (err: unknown) {
      this.counts.errors++;
      diag.error(`tollgate: ${this.constructor.name} could not serialise a ${alert.kind} alert`, err);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(body);
      if (outcome.ok) {
        this.counts.delivered++;
        return;
      }
      if (!outcome.retryable || attempt >= this.retries) {
        this.counts.errors++;
        const tries = attempt + 1;
        diag.warn(
          `tollgate: ${this.constructor.name} could not deliver a ${alert.kind} alert to ${this.origin} ` +
            `after ${tries} attempt${tries === 1 ? '' : 's'}: ${outcome.reason}`,
        );
        return;
      }
      const delay = this.backoff(attempt, outcome.retryAfterMs);
      diag.debug(
        `tollgate: ${this.constructor.name} attempt ${attempt + 1} to ${this.origin} failed (${outcome.reason}); retrying in ${delay} ms`,
      );
      await this.sleep(delay);
    }
  }

  private async attempt(body: string): Promise<AttemptOutcome> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err: unknown) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const reason = timedOut ? `timed out after ${this.timeoutMs} ms` : describe(err);
      return { ok: false, retryable: true, reason };
    }
    try {
      // Read the body so the connection goes back to the pool.
      await response.arrayBuffer();
    } catch {
      // The status is what matters.
    }
    if (response.ok) return { ok: true };
    const status = response.status;
    const retryable = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return {
      ok: false,
      retryable,
      reason: `HTTP ${status}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const base = this.backoffMs * 2 ** attempt;
    const delay = this.jitter ? base * (0.5 + Math.random() * 0.5) : base;
    const wanted = retryAfterMs !== undefined ? Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)) : delay;
    return Math.round(wanted);
  }

  private sleep(ms: number): Promise<void> {
    if (this.customSleep) return this.customSleep(ms);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.backoffTimer = undefined;
        resolve();
      }, ms);
      if (this.flushers === 0) timer.unref();
      this.backoffTimer = timer;
    });
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkNumber(sink: string, field: string, value: unknown, min: number, fix: string, integer = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  if (!ok) {
    throw new Error(
      `tollgate: ${sink} option "${field}" must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}; use ${fix}`,
    );
  }
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header.trim());
  if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
