import { ALERT_KINDS, DEFAULT_ALERT_KINDS } from './Alert.js';
import { EmailSink } from './EmailSink.js';
import type { AlertKind } from './Alert.js';
import type { AlertRoute } from './AlertDispatcher.js';
import { SlackSink } from './SlackSink.js';
import { WebhookSink } from './WebhookSink.js';

/** One `[[alerts]]` entry of the config file. */
export interface AlertSinkConfig {
  /** `slack`: Slack incoming-webhook message; `webhook`: generic JSON POST; `email`: a plain-text email over SMTP. */
  type: 'slack' | 'webhook' | 'email';
  /** Receiver URL; for `email` the SMTP server, `smtp://user:password@host:587` or `smtps://...:465`. */
  url: string;
  /** `email`: the sender address. */
  from?: string;
  /** `email`: the recipients. */
  to?: string[];
  /** Event kinds to send. Default: `threshold`, `budget_exceeded`, `health_check_failed` (`rate_limited` only when named). */
  events?: AlertKind[];
  /** Default 5000. */
  timeoutMs?: number;
  /** Default 3. */
  retries?: number;
  /** Extra request headers. Default none. */
  headers?: Record<string, string>;
}

/** Settings that come from the host rather than the config file. */
export interface CreateAlertSinksOptions {
  /** Service name put into payloads. Default: none. */
  service?: string;
  /** fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * Build the sinks described by the config's `alerts` list, ready for
 * `new AlertDispatcher(bus, { routes })`.
 *
 * @throws Error naming the entry and field (e.g. `alerts[1].url`) when an entry is invalid.
 */
export function createAlertSinks(config: readonly AlertSinkConfig[], options: CreateAlertSinksOptions = {}): AlertRoute[] {
  return config.map((entry, i) => {
    const where = `alerts[${i}]`;
    if (entry.type !== 'slack' && entry.type !== 'webhook' && entry.type !== 'email') {
      throw new Error(
        `tollgate: ${where}.type must be "slack", "webhook" or "email", got ${JSON.stringify(entry.type)}; ` +
          'use "slack" for a Slack incoming webhook, "webhook" for generic JSON, "email" for SMTP',
      );
    }
    const events = entry.events ?? [...DEFAULT_ALERT_KINDS];
    if (!Array.isArray(events) || events.length === 0) {
      throw new Error(`tollgate: ${where}.events must be a non-empty list; use ["threshold", "budget_exceeded"] or leave it out`);
    }
    for (const kind of events) {
      if (!ALERT_KINDS.includes(kind)) {
        throw new Error(
          `tollgate: ${where}.events has unknown kind ${JSON.stringify(kind)}; use ${ALERT_KINDS.map((k) => `"${k}"`).join(', ')}`,
        );
      }
    }
    if (entry.type === 'email') {
      try {
        const sink = new EmailSink({
          url: entry.url,
          from: entry.from ?? '',
          to: entry.to ?? [],
          ...(entry.timeoutMs !== undefined ? { timeoutMs: entry.timeoutMs } : {}),
          ...(entry.retries !== undefined ? { retries: entry.retries } : {}),
          ...(options.service !== undefined ? { service: options.service } : {}),
        });
        return { sink, events };
      } catch (err: unknown) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(message.replace(/EmailSink option "([^"]+)"/, `${where}.$1`), { cause: err });
      }
    }
    const sinkOptions = {
      url: entry.url,
      ...(entry.timeoutMs !== undefined ? { timeoutMs: entry.timeoutMs } : {}),
      ...(entry.retries !== undefined ? { retries: entry.retries } : {}),
      ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    };
    try {
      const sink = entry.type === 'slack' ? new SlackSink(sinkOptions) : new WebhookSink(sinkOptions);
      return { sink, events };
    } catch (err: unknown) {
      // Re-point the message at the config entry: `SlackSink option "url"` -> `alerts[0].url`.
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(message.replace(/(SlackSink|WebhookSink) option "([^"]+)"/, `${where}.$2`), { cause: err });
    }
  });
}
