import { Type } from '@sinclair/typebox';

const Counts = Type.Array(Type.Integer(), { description: 'One value per bucket, in `timestamps` order' });

export const TimeseriesQuery = Type.Object({
  bucket: Type.Optional(
    Type.Union([Type.Literal('minute'), Type.Literal('hour')], {
      description: 'Bucket size (minute)',
      default: 'minute',
    }),
  ),
  since: Type.Optional(
    Type.String({ format: 'date-time', description: 'Start (default: 1 hour ago for minutes, 7 days ago for hours)' }),
  ),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'End, exclusive (default: now)' })),
  by: Type.Optional(
    Type.Union([Type.Literal('channel'), Type.Literal('provider'), Type.Literal('all')], {
      description: 'Split the series by channel, by provider, or one total (all)',
      default: 'all',
    }),
  ),
});

export const TimeseriesSchema = Type.Object(
  {
    bucket: Type.String(),
    bucketMs: Type.Integer(),
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
    by: Type.String(),
    timestamps: Type.Array(Type.String({ format: 'date-time' }), { description: 'Start of each bucket (UTC)' }),
    series: Type.Array(
      Type.Object({
        key: Type.String({ description: 'Channel, provider, or "all"' }),
        accepted: Counts,
        sent: Counts,
        delivered: Counts,
        failed: Counts,
        retried: Type.Array(Type.Integer(), { description: 'Transient failures scheduled for another attempt' }),
        segments: Type.Array(Type.Integer(), { description: 'SMS parts of the accepted messages (a cost proxy)' }),
      }),
    ),
  },
  { $id: 'StatsTimeseries' },
);

const Ms = Type.Union([Type.Integer(), Type.Null()]);
export const LatencySchema = Type.Object(
  {
    count: Type.Integer(),
    meanMs: Ms,
    p50Ms: Ms,
    p90Ms: Ms,
    p95Ms: Ms,
    p99Ms: Ms,
  },
  { description: 'From due to handed over to the provider; percentiles estimated from histogram buckets' },
);

const TotalsFields = {
  accepted: Type.Integer(),
  sent: Type.Integer(),
  delivered: Type.Integer(),
  failed: Type.Integer(),
  retried: Type.Integer(),
  segments: Type.Integer({ description: 'SMS parts of the accepted messages (a cost proxy)' }),
  latency: LatencySchema,
};

export const OverviewQuery = Type.Object({
  windowMinutes: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 43_200, default: 60, description: 'Totals over the last N minutes' }),
  ),
});

export const OverviewSchema = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    since: Type.String({ format: 'date-time' }),
    queue: Type.Record(Type.String(), Type.Integer(), {
      description: 'Messages in each open state (queued, sending, sent awaiting a receipt); cached ≤ 2 s',
    }),
    totals: Type.Object(TotalsFields),
    byChannel: Type.Array(Type.Object({ channel: Type.String(), ...TotalsFields })),
    byProvider: Type.Array(Type.Object({ provider: Type.String(), channel: Type.String(), ...TotalsFields })),
  },
  { $id: 'StatsOverview' },
);
