import { ALERT_KINDS } from './Alert.js';
import type { AlertKind } from './Alert.js';
import type { AlertRoute } from './AlertDispatcher.js';
import { SlackSink } from './SlackSink.js';
import { WebhookSink } from './WebhookSink.js';

/** One `[[alerts]]` entry of the config file. */
export interface AlertSinkConfig {
  /** `slack`: Slack incoming-webhook message; `webhook`: generic JSON POST. */
  type: 'slack' | 'webhook';
  /** Receiver URL. */
  url: string;
  /** Event kinds to send. Default: both (`threshold`, `budget_exceeded`). */
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
    if (entry.type !== 'slack' && entry.type !== 'webhook') {
      throw new Error(
        `tollgate: ${where}.type must be "slack" or "webhook", got ${JSON.stringify(entry.type)}; ` +
          'use "slack" for a Slack incoming webhook, "webhook" for generic JSON',
      );
    }
    const events = entry.events ?? [...ALERT_KINDS];
    if (!Array.isArray(events) || events.length === 0) {
      throw new Error(`tollgate: ${where}.events must be a non-empty list; use ["threshold", "budget_exceeded"] or leave it out`);
    }
    for (const kind of events) {
      if (!ALERT_KINDS.includes(kind)) {
        throw new Error(
          `tollgate: ${where}.events has unknown kind ${JSON.stringify(kind)}; use "threshold" or "budget_exceeded"`,
        );
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
