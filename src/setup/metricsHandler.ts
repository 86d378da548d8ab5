import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Problems } from '../core/Problems.js';
import type { TollgateMetrics } from '../metrics/TollgateMetrics.js';

/** Only /metrics (Prometheus text), as a node:http handler for any framework. */
export function metricsHandler(metrics: TollgateMetrics, problems: Problems): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    metrics.metricsText().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(text);
      },
      (err: unknown) => {
        problems.report('telemetry', '/metrics failed', err);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics unavailable\n');
      },
    );
  };
}
