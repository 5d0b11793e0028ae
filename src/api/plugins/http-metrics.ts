import type { FastifyInstance } from 'fastify';
import type { HistogramSeries, Metrics } from '../../metrics.ts';

/**
 * Counts every answered request in herald_http_requests_total{route,method,status} and times it in
 * herald_http_request_duration_seconds{route,method}. `route` is the route's pattern
 * (`/v1/messages/:id`), never the raw URL, so the label set stays bounded; unmatched URLs are
 * `unmatched`. With `logRequests` (HERALD_LOG_REQUESTS) each request also gets one log line.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics, opts: { logRequests: boolean }): void {
  const labels = new LabelSets(metrics);
  // Callback style: nothing here waits, so no promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    const status = reply.statusCode;
    const l = labels.of(route, req.method, status);
    l.counted.value++;
    l.timed.observe(reply.elapsedTime / 1000);
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
  counted: { value: number };
  timed: HistogramSeries;
}

/**
 * The series of each route, method and status, looked up once and reused: counting a request is
 * then two additions and a bucket search, with no label object hashed or made (metrics.ts
 * SeriesCounter). The set is bounded: route patterns, methods, status codes.
 */
class LabelSets {
  private readonly metrics: Metrics;
  private readonly sets = new Map<string, Map<string, { timed: HistogramSeries; byStatus: Map<number, Labels> }>>();

  constructor(metrics: Metrics) {
    this.metrics = metrics;
  }

  of(route: string, method: string, status: number): Labels {
    let byMethod = this.sets.get(route);
    if (!byMethod) this.sets.set(route, (byMethod = new Map()));
    let m = byMethod.get(method);
    if (!m)
      byMethod.set(method, (m = { timed: this.metrics.httpSeconds.series({ route, method }), byStatus: new Map() }));
    let l = m.byStatus.get(status);
    if (!l) {
      const counted = this.metrics.httpRequests.series({ route, method, status: String(status) });
      m.byStatus.set(status, (l = { counted, timed: m.timed }));
    }
    return l;
  }
}
