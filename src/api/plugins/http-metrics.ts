import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.ts';

/**
 * Counts every answered request in herald_http_requests_total{route,method,status} and times it in
 * herald_http_request_duration_seconds{route,method}. `route` is the route's pattern
 * (`/v1/messages/:id`), never the raw URL, so the label set stays bounded; unmatched URLs are
 * `unmatched`. With `logRequests` (HERALD_LOG_REQUESTS) each request also gets one log line.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics, opts: { logRequests: boolean }): void {
  // Callback style: nothing here waits, so no promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    const status = reply.statusCode;
    metrics.httpRequests.inc({ route, method: req.method, status: String(status) });
    metrics.httpSeconds.observe({ route, method: req.method }, reply.elapsedTime / 1000);
    if (opts.logRequests) {
      // The path only: query strings may carry filters and tokens.
      const path = req.url.split('?')[0];
      req.log.info(
        { method: req.method, path, route, status, ms: Math.round(reply.elapsedTime), ip: req.ip },
        'request',
      );
    }
    done();
  });
}
