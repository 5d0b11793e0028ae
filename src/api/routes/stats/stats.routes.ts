import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';
import { bucketCount, bucketStarts, densify, summarize, totalsBy, zeroCounts } from './aggregate.ts';
import { OverviewQuery, OverviewSchema, TimeseriesQuery, TimeseriesSchema } from './schemas.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const BUCKETS = {
  minute: { ms: MINUTE, span: HOUR, max: 1440 },
  hour: { ms: HOUR, span: 7 * 24 * HOUR, max: 24 * 31 },
};
const DEPTH_CACHE_MS = 2000;

const errors = { 400: ErrorSchema, 401: ErrorSchema };

/**
 * Dashboard statistics. Both routes read only `stats_minute` (pre-aggregated per minute by the
 * StatsRecorder) plus open-state counts on the state index, so their cost does not grow with the
 * number of messages ever sent.
 */
export function statsRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const repo = deps.store.stats;
    let depth: { at: number; value: Promise<Record<string, number>> } | null = null;
    const queueDepth = () => {
      const now = deps.clock.now();
      if (!depth || now - depth.at >= DEPTH_CACHE_MS) {
        const value = repo.queueDepth();
        depth = { at: now, value };
        value.catch(() => (depth = null));
      }
      return depth.value;
    };

    app.get(
      '/v1/stats/timeseries',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['stats'],
          summary: 'Message counters per minute or hour, by channel or provider',
          description:
            'Accepted, sent, delivered, failed and retried (transient failure, another attempt scheduled) per bucket. ' +
            'Every bucket in the window is present (zeros where nothing happened).',
          querystring: TimeseriesQuery,
          response: { 200: TimeseriesSchema, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const b = BUCKETS[q.bucket ?? 'minute'];
        const now = deps.clock.now();
        const until = q.until ? Date.parse(q.until) : now + 1;
        const since = q.since ? Date.parse(q.since) : until - b.span;
        if (!(since < until)) throw new AppError('HERALD_VALIDATION', 'since must be before until');
        // Counted before they are made: `since=1970-01-01` in minutes would be 30 million of them.
        if (bucketCount(since, until, b.ms) > b.max)
          throw new AppError('HERALD_VALIDATION', `At most ${b.max} ${q.bucket ?? 'minute'} buckets per request`);
        const starts = bucketStarts(since, until, b.ms);
        const from = starts[0]!;
        await deps.stats?.flush(); // read this process's own counts too, not a second old
        const rows = await repo.series(from, until, b.ms, q.by ?? 'all');
        return {
          bucket: q.bucket ?? 'minute',
          bucketMs: b.ms,
          since: new Date(from).toISOString(),
          until: new Date(until).toISOString(),
          by: q.by ?? 'all',
          timestamps: starts.map((t) => new Date(t).toISOString()),
          series: densify(rows, starts),
        };
      },
    );

    app.get(
      '/v1/stats/overview',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['stats'],
          summary: 'Queue depth, totals and delivery latency percentiles',
          querystring: OverviewQuery,
          response: { 200: OverviewSchema, ...errors },
        },
      },
      async (req) => {
        await deps.stats?.flush();
        const now = deps.clock.now();
        const since = now - (req.query.windowMinutes ?? 60) * MINUTE;
        const [rows, queue] = await Promise.all([repo.totals(since - (since % MINUTE), now + 1), queueDepth()]);
        const all = totalsBy(rows, () => 'all').get('all') ?? {
          ...zeroCounts(),
          latency: summarize([], 0),
        };
        return {
          at: new Date(now).toISOString(),
          since: new Date(since).toISOString(),
          queue,
          totals: all,
          byChannel: [...totalsBy(rows, (r) => r.channel)].map(([channel, t]) => ({ channel, ...t })),
          byProvider: [...totalsBy(rows, (r) => `${r.provider}\u0000${r.channel}`)].map(([k, t]) => {
            const [provider, channel] = k.split('\u0000') as [string, string];
            return { provider, channel, ...t };
          }),
        };
      },
    );
  };
}
