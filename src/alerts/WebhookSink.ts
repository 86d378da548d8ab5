import type { Alert } from './Alert.js';
import { HttpAlertSink } from './HttpAlertSink.js';
import type { HttpAlertSinkOptions } from './HttpAlertSink.js';
import { webhookPayload } from './webhookPayload.js';

/** Options of `WebhookSink`; see `HttpAlertSinkOptions` for every default. */
export type WebhookSinkOptions = HttpAlertSinkOptions;

/**
 * POSTs each alert as generic JSON (see `webhookPayload`) to `url`, in the
 * background, with timeout, retries and backoff.
 */
export class WebhookSink extends HttpAlertSink {
  constructor(options: WebhookSinkOptions) {
    super(options);
  }

  protected override payload(alert: Alert): unknown {
    return webhookPayload(alert, this.service);
  }
}
