import type { Alert } from './Alert.js';
import { HttpAlertSink } from './HttpAlertSink.js';
import type { HttpAlertSinkOptions } from './HttpAlertSink.js';
import { slackPayload } from './slackPayload.js';

/** Options of `SlackSink`; `url` is the Slack incoming-webhook URL. See `HttpAlertSinkOptions` for every default. */
export type SlackSinkOptions = HttpAlertSinkOptions;

/**
 * POSTs each alert as a Slack incoming-webhook message (see `slackPayload`),
 * in the background, with timeout, retries and backoff.
 */
export class SlackSink extends HttpAlertSink {
  constructor(options: SlackSinkOptions) {
    super(options);
  }

  protected override payload(alert: Alert): unknown {
    return slackPayload(alert, this.service);
  }
}
