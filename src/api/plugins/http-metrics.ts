import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.ts';

/**
 * Counts every answered request in herald_http_requests_total{route,method,status} and times it in
 * herald_http_request_duration_seconds{route,method}. `route` is the route's pattern
 * (`/v1/messages/:id`), never the raw URL, so the label set stays bounded; unmatched URLs are
 * `unmatched`. With `logRequests` (HERALD_LOG_REQUESTS) each request also gets one log line.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics, opts: { logRequests: boolean }): void {
  const labels = new LabelSets();
  // Callback style: nothing here waits, so no promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    const status = reply.statusCode;
    const l = labels.of(route, req.method, status);
    metrics.httpRequests.inc(l.counted);
    metrics.httpSeconds.observe(l.timed, reply.elapsedTime / 1000);
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

interface Labels {
  counted: { route: string; method: string; status: string };
  timed: { route: string; method: string };
}

/**
 * The label objects of each route, method and status, made once and reused: the same bounded set
 * prom-client keeps anyway, without two new objects per request.
 */
class LabelSets {
  private readonly sets = new Map<string, Map<string, { timed: Labels['timed']; byStatus: Map<number, Labels> }>>();

  of(route: string, method: string, status: number): Labels {
    let byMethod = this.sets.get(route);
    if (!byMethod) this.sets.set(route, (byMethod = new Map()));
    let m = byMethod.get(method);
    if (!m) byMethod.set(method, (m = { timed: { route, method }, byStatus: new Map() }));
    let l = m.byStatus.get(status);
    if (!l) m.byStatus.set(status, (l = { counted: { route, method, status: String(status) }, timed: m.timed }));
    return l;
  }
}
