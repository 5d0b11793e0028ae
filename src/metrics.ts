import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Logger } from 'pino';
import { WEBHOOK_LANE_PREFIX } from './domain/lanes.ts';
import { coerceError } from './errors/app-error.ts';
import type { Store } from './store/store.ts';

/**
 * Herald's Prometheus metrics, on a registry of their own (one per process role set, so tests
 * stay apart). Labels are bounded: channel, provider (configured names, `webhook` for all
 * webhooks), state, lane (named providers and routes; the 50 busiest webhook origins, the rest
 * `other`), route (the route pattern, never the raw URL), method, status.
 * docs/metrics.md lists every series; deploy/grafana/herald.json charts them.
 */
export interface Metrics {
  registry: Registry;
  accepted: Counter<'channel' | 'provider'>;
  delivered: Counter<'channel' | 'provider'>;
  sent: Counter<'channel' | 'provider'>;
  failed: Counter<'channel' | 'provider'>;
  retried: Counter<'channel' | 'provider'>;
  attemptSeconds: Histogram<'channel' | 'provider' | 'outcome'>;
  /** Messages per non-final state; set at scrape time from one store method (zeros kept). */
  queueDepth: Gauge<'state'>;
  /** Provider calls in flight per lane (collected at scrape time from `lanes`). */
  lanes: LaneInFlight;
  loopErrors: Counter<'loop'>;
  /** Provider calls (one per batch handed to a provider), by the call's outcome (ok | partial | transient | permanent). */
  providerCalls: Counter<'provider' | 'outcome'>;
  /** Messages in provider calls, by each message's outcome (ok | transient | permanent). */
  providerMessages: Counter<'provider' | 'outcome'>;
  providerCallSeconds: Histogram<'provider'>;
  /** HTTP requests answered, by route pattern, method and status code (one series handle per label set). */
  httpRequests: SeriesCounter<'route' | 'method' | 'status'>;
  httpSeconds: SeriesHistogram<'route' | 'method'>;
  /** Rows deleted by retention (the worker's RetentionJob), by table. */
  retentionPurged: Counter<'table'>;
}

/** prom-client defaults that are gauges named `_total` (promtool: "non-counter metrics should not have _total"). */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults) {
    collectDefaultMetrics({ register: registry, prefix: 'herald_' });
    // Their unsuffixed twins (by type) stay: herald_nodejs_active_handles{type} etc.
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(`herald_${name}`);
  }
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const byProvider: ('channel' | 'provider')[] = ['channel', 'provider'];
  const lanes = new LaneInFlight();
  new Gauge({
    name: 'herald_lane_in_flight',
    help: 'Provider calls in flight per lane (lane concurrency in use)',
    labelNames: ['lane'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [lane, n] of lanes.snapshot()) this.set({ lane }, n);
    },
  });
  return {
    registry,
    accepted: counter('herald_messages_accepted_total', 'Messages accepted (committed) by the API', byProvider),
    delivered: counter('herald_messages_delivered_total', 'Messages that reached delivered', byProvider),
    sent: counter('herald_messages_sent_total', 'Messages a provider accepted (awaiting receipt)', byProvider),
    failed: counter('herald_messages_failed_total', 'Messages that ended failed', byProvider),
    retried: counter('herald_messages_retried_total', 'Transient failures scheduled for another attempt', byProvider),
    attemptSeconds: new Histogram({
      name: 'herald_attempt_duration_seconds',
      help: 'Duration of one provider call',
      labelNames: ['channel', 'provider', 'outcome'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'herald_queue_depth',
      help: 'Messages in each non-final state (queued, sending, sent)',
      labelNames: ['state'],
      registers: [registry],
    }),
    lanes,
    loopErrors: counter('herald_loop_errors_total', 'Errors caught by background loops', ['loop']),
    providerCalls: counter('herald_provider_calls_total', 'Calls to e-mail/SMS providers (one per batch)', [
      'provider',
      'outcome',
    ]),
    providerMessages: counter('herald_provider_messages_total', 'Messages handed to e-mail/SMS providers', [
      'provider',
      'outcome',
    ]),
    providerCallSeconds: new Histogram({
      name: 'herald_provider_call_duration_seconds',
      help: 'Duration of one e-mail/SMS provider call (a whole batch)',
      labelNames: ['provider'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    httpRequests: new SeriesCounter(registry, 'herald_http_requests_total', 'HTTP requests answered'),
    retentionPurged: counter('herald_retention_purged_rows_total', 'Rows deleted by retention, by table', ['table']),
    httpSeconds: new SeriesHistogram(
      registry,
      'herald_http_request_duration_seconds',
      'Time from receiving an HTTP request to the end of its answer',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  };
}

/** What prom-client's registry reads from a metric: `get()` for JSON, `getForPromString()` for the text format. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/**
 * A counter whose callers hold one handle per label set (`series(labels)`), so that counting is
 * one addition: prom-client's Counter hashes the label object into a string on every `inc` (a few
 * hundred bytes per HTTP request). Registered on the registry like any metric; its exposition is
 * the same text as prom-client's Counter (labels in the order of the object given).
 */
export class SeriesCounter<L extends string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly all = new Map<string, { labels: Record<L, string>; value: number }>();

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of a label set (made on first use, the same handle afterwards): `series(l).value++`. */
  series(labels: Record<L, string>): { value: number } {
    const key = JSON.stringify(labels);
    let s = this.all.get(key);
    if (!s) this.all.set(key, (s = { labels, value: 0 }));
    return s;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values = [...this.all.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const s of this.all.values()) s.value = 0;
  }
}

/** One label set of a SeriesHistogram: `observe(v)` is a bucket search and three additions. */
export class HistogramSeries {
  readonly labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly upper: readonly number[];

  constructor(labels: Record<string, string>, upper: readonly number[]) {
    this.labels = labels;
    this.upper = upper;
    this.counts = new Float64Array(upper.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.upper.length && value > this.upper[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram with one handle per label set, for the same reason as SeriesCounter (prom-client's
 * Histogram hashes the labels and makes a closure on every `observe`). Its exposition is
 * prom-client's: cumulative `_bucket{le}` lines, `+Inf`, `_sum`, `_count` per label set.
 */
export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly upper: readonly number[];
  private readonly all = new Map<string, HistogramSeries>();

  constructor(registry: Registry, name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.upper = [...buckets].sort((a, b) => a - b);
    registry.registerMetric(this as unknown as Metric);
  }

  series(labels: Record<L, string>): HistogramSeries {
    const key = JSON.stringify(labels);
    let s = this.all.get(key);
    if (!s) this.all.set(key, (s = new HistogramSeries(labels, this.upper)));
    return s;
  }

  /** The text exposition's form: bucket labels (`le`) apart from the series' own (shared) labels. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ExportedValue[];
  }> {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.all.values()) {
      let acc = 0;
      this.upper.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The JSON form (prom-client's `get()`): each value's labels include the series' labels. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const data = await this.getForPromString();
    const values = data.values.map(({ sharedLabels, labels, ...v }) => ({
      ...v,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...data, values };
  }

  reset(): void {
    for (const s of this.all.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** Webhook origins that keep a `lane` label of their own; the rest fold into `other`. */
export const MAX_WEBHOOK_LANES = 50;
const RANK_WINDOW_MS = 5 * 60_000;

/**
 * Calls in flight per delivery lane, with a bounded label set. Named lanes (providers, routes)
 * are few and keep their names. Webhook lanes are one per destination origin, unbounded: the
 * `MAX_WEBHOOK_LANES` origins with the most calls in the last ranking window (5 min) keep their
 * own label, the others are summed under `other`. A lane with nothing in flight and no call in a
 * whole window is forgotten, so its series disappears from the next scrape.
 */
export class LaneInFlight {
  private readonly lanes = new Map<string, { active: number; calls: number }>();
  private ranked = new Set<string>();
  private windowStart: number;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.windowStart = now();
  }

  started(lane: string): void {
    const l = this.lanes.get(lane) ?? { active: 0, calls: 0 };
    l.active++;
    l.calls++;
    this.lanes.set(lane, l);
  }

  ended(lane: string): void {
    const l = this.lanes.get(lane);
    if (l) l.active = Math.max(0, l.active - 1);
  }

  /** The worker dropped this lane (idle): forget it now, not only at the next scrape's ranking. */
  forget(lane: string): void {
    if (this.lanes.get(lane)?.active === 0) this.lanes.delete(lane);
  }

  /** In-flight calls per label (what the gauge shows). */
  snapshot(): Map<string, number> {
    this.rotate();
    const out = new Map<string, number>();
    for (const [lane, l] of this.lanes) {
      const label = this.label(lane);
      out.set(label, (out.get(label) ?? 0) + l.active);
    }
    return out;
  }

  /** The label of a lane: its own name, or `other` for a webhook origin outside the busiest. */
  label(lane: string): string {
    if (!lane.startsWith(WEBHOOK_LANE_PREFIX) || this.ranked.has(lane)) return lane;
    if (this.ranked.size < MAX_WEBHOOK_LANES) {
      this.ranked.add(lane); // room left: admitted until the next ranking
      return lane;
    }
    return 'other';
  }

  /** At the end of a window: rank webhook origins by its calls, drop lanes that went quiet. */
  private rotate(): void {
    const now = this.now();
    if (now - this.windowStart < RANK_WINDOW_MS) return;
    this.windowStart = now;
    const webhooks = [...this.lanes].filter(([k, l]) => k.startsWith(WEBHOOK_LANE_PREFIX) && l.calls > 0);
    webhooks.sort((a, b) => b[1].calls - a[1].calls);
    this.ranked = new Set(webhooks.slice(0, MAX_WEBHOOK_LANES).map(([k]) => k));
    for (const [k, l] of this.lanes) {
      if (l.active === 0 && l.calls === 0) this.lanes.delete(k);
      else l.calls = 0;
    }
  }
}

/**
 * The text exposition, with queue depth read first from its one store method. When the database
 * does not answer, the rest is still served (queue depth keeps its last values) and the failure is
 * counted in herald_loop_errors_total{loop="queue_depth"}.
 */
export async function exposition(deps: { metrics: Metrics; store: Store; logger?: Logger }): Promise<string> {
  const { metrics } = deps;
  try {
    const depth = await deps.store.stats.queueDepth();
    for (const [state, n] of Object.entries(depth)) metrics.queueDepth.set({ state }, n);
  } catch (err) {
    metrics.loopErrors.inc({ loop: 'queue_depth' });
    deps.logger?.warn({ err: coerceError(err) }, 'queue depth unavailable for /metrics');
  }
  return metrics.registry.metrics();
}
