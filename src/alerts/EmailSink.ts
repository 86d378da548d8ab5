import { diag } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type { Alert } from './Alert.js';
import type { AlertSink } from './AlertSink.js';
import type { AlertSinkStats } from './HttpAlertSink.js';
import { emailMessage } from './emailMessage.js';

/** Options of `EmailSink`. */
export interface EmailSinkOptions {
  /**
   * The SMTP server as a URL: `smtp://user:password@smtp.example.com:587` (STARTTLS when the
   * server offers it) or `smtps://...:465` (TLS from the start). Required.
   */
  url: string;
  /** Sender address. Required. */
  from: string;
  /** Recipient addresses. Required, at least one. */
  to: string[];
  /** Time limit of one delivery (connection, greeting and socket), ms. Default 10000. */
  timeoutMs?: number;
  /** Retries after a failed delivery, with 1 s, 2 s, 4 s... between them. Default 3. */
  retries?: number;
  /** Alerts waiting beyond this many are dropped, oldest first. Default 1000. */
  maxQueueSize?: number;
  /** Service name put into subjects and bodies. Default: none. */
  service?: string;
}

/** The part of a nodemailer transport the sink uses. */
interface MailTransport {
  sendMail(message: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
}
type CreateTransport = (url: string, defaults?: object) => MailTransport;

const require = createRequire(import.meta.url);

/**
 * Sends each alert as a plain-text email through an SMTP server (nodemailer, loaded on first
 * use; it is an optional dependency: `npm install nodemailer`). Delivery is in the background,
 * one message at a time, with retries; `send` never blocks or throws, failures go to OTel diag
 * and `stats().errors`.
 */
export class EmailSink implements AlertSink {
  private readonly url: string;
  private readonly host: string;
  private readonly from: string;
  private readonly to: string[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxQueueSize: number;
  private readonly service: string | undefined;
  private readonly queue: Alert[] = [];
  private readonly counts: AlertSinkStats = { delivered: 0, errors: 0, dropped: 0 };
  private transport: Promise<MailTransport> | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;

  /** @throws Error naming the option when one is invalid, or when nodemailer is not installed. */
  constructor(options: EmailSinkOptions) {
    if (typeof options.url !== 'string' || !/^smtps?:\/\/[^/\s]+/.test(options.url)) {
      throw new Error(`tollgate: EmailSink option "url" must be an smtp:// or smtps:// URL, got ${JSON.stringify(options.url)}; e.g. "smtp://user:password@smtp.example.com:587"`);
    }
    if (typeof options.from !== 'string' || !options.from.includes('@')) {
      throw new Error(`tollgate: EmailSink option "from" must be an email address, got ${JSON.stringify(options.from)}`);
    }
    if (!Array.isArray(options.to) || options.to.length === 0 || !options.to.every((a) => typeof a === 'string' && a.includes('@'))) {
      throw new Error(`tollgate: EmailSink option "to" must be a non-empty list of email addresses, got ${JSON.stringify(options.to)}`);
    }
    try {
      require.resolve('nodemailer');
    } catch {
      throw new Error("tollgate: email alerts need the 'nodemailer' package: run `npm install nodemailer`");
    }
    this.url = options.url;
    this.host = new URL(options.url).host;
    this.from = options.from;
    this.to = [...options.to];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.maxQueueSize = options.maxQueueSize ?? 1000;
    this.service = options.service;
  }

  /** Queue the alert; the SMTP exchange starts on a later turn of the event loop. Never throws. */
  send(alert: Alert): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    if (this.queue.length >= this.maxQueueSize) {
      this.queue.shift();
      this.counts.dropped++;
      diag.warn(`tollgate: EmailSink queue for ${this.host} is full (${this.maxQueueSize}); dropped the oldest alert`);
    }
    this.queue.push(alert);
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when every queued alert was sent or failed for good. Never rejects. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /** Flush, close the SMTP connection, then drop any later alert. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.flush().then(async () => {
      this.closed = true;
      const transport = await this.transport?.catch(() => undefined);
      transport?.close();
    });
    return this.shutdownPromise;
  }

  /** Delivery counters so far. */
  stats(): AlertSinkStats {
    return { ...this.counts };
  }

  private async drain(): Promise<void> {
    for (let alert = this.queue.shift(); alert !== undefined; alert = this.queue.shift()) {
      const message = emailMessage(alert, this.service);
      for (let attempt = 0; ; attempt++) {
        try {
          const transport = await this.openTransport();
          await transport.sendMail({ from: this.from, to: this.to.join(', '), subject: message.subject, text: message.text });
          this.counts.delivered++;
          break;
        } catch (err: unknown) {
          if (attempt >= this.retries) {
            this.counts.errors++;
            diag.error(`tollgate: EmailSink could not send a ${alert.kind} alert through ${this.host}`, err);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
        }
      }
    }
    this.draining = undefined;
  }

  private openTransport(): Promise<MailTransport> {
    this.transport ??= import('nodemailer').then((mod) => {
      const create = (mod as unknown as { createTransport: CreateTransport }).createTransport;
      const t = this.timeoutMs;
      return create(this.url, { connectionTimeout: t, greetingTimeout: t, socketTimeout: t });
    });
    this.transport.catch(() => {
      this.transport = undefined; // try loading again on the next alert
    });
    return this.transport;
  }
}
