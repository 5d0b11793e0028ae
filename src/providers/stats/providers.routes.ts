import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LATENCY_BUCKETS_MS, type CallAggregate } from '../../store/provider-stats.repo.ts';
import { quantile } from '../../stats/quantile.ts';
import type { ProviderHub } from '../hub.ts';

const NInt = Type.Union([Type.Integer(), Type.Null()]);
const WindowStats = Type.Object({
  calls: Type.Integer({ description: 'Provider calls (a batch is one call)' }),
  messages: Type.Integer(),
  successes: Type.Integer(),
  transientFailures: Type.Integer(),
  permanentFailures: Type.Integer(),
  latencyMs: Type.Object({ p50: NInt, p95: NInt, p99: NInt, mean: NInt }),
});

const ProviderView = Type.Object({
  name: Type.String(),
  type: Type.String(),
  channel: Type.String(),
  breaker: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
  health: Type.Object(
    {
      state: Type.Union([Type.Literal('healthy'), Type.Literal('failing'), Type.Literal('recovering')]),
      pausedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'While failing: when the next trial call may go',
      }),
      summary: Type.String({ description: 'The health in words, e.g. "failing — paused until 12:03:40Z"' }),
    },
    {
      description:
        'healthy: calls flow; failing: calls are paused after failures in a row (messages wait without spending ' +
        'attempts); recovering: a trial call decides. The breaker state in words.',
    },
  ),
  default: Type.Boolean({ description: 'A default outbox standing in for a channel without providers' }),
  routes: Type.Array(Type.String(), { description: 'Channel routes this provider is part of' }),
  stats: Type.Object({ minute: WindowStats, hour: WindowStats, day: WindowStats }),
});

const HEALTH = { closed: 'healthy', open: 'failing', half_open: 'recovering' } as const;

/** The breaker state in words; the time is UTC (HH:MM:SS), the UI shows it in local time. */
export function healthView(breaker: keyof typeof HEALTH, pausedUntil: number | null) {
  const state = HEALTH[breaker];
  const until = breaker === 'open' && pausedUntil != null ? new Date(pausedUntil).toISOString() : null;
  const summary = until ? `${state} — paused until ${until.slice(11, 19)}Z` : state;
  return { state, pausedUntil: until, summary };
}

const WINDOWS = { minute: 60_000, hour: 3600_000, day: 86_400_000 } as const;

function windowView(a: CallAggregate | undefined) {
  return {
    calls: a?.calls ?? 0,
    messages: a?.messages ?? 0,
    successes: a?.ok ?? 0,
    transientFailures: a?.transient ?? 0,
    permanentFailures: a?.permanent ?? 0,
    latencyMs: {
      p50: a ? quantile(a.latency, LATENCY_BUCKETS_MS, 0.5) : null,
      p95: a ? quantile(a.latency, LATENCY_BUCKETS_MS, 0.95) : null,
      p99: a ? quantile(a.latency, LATENCY_BUCKETS_MS, 0.99) : null,
      mean: a && a.calls > 0 ? Math.round(a.latencyMsSum / a.calls) : null,
    },
  };
}

/**
 * GET /v1/providers: each provider's health (breaker state in this process) and its calls over
 * the last minute, hour and day (whole minutes that overlap the window), from provider_stats,
 * which every Herald process writes to.
 */
export function providersRoutes(deps: { providers: ProviderHub }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/providers',
      {
        config: { scope: 'providers' },
        schema: {
          tags: ['providers'],
          summary: 'Providers with their health and call statistics',
          response: {
            200: Type.Object({
              providers: Type.Array(ProviderView),
              routes: Type.Object(
                { email: Type.Array(Type.String()), sms: Type.Array(Type.String()) },
                { description: 'Each channel route: its providers in failover order (the first is tried first)' },
              ),
            }),
          },
        },
      },
      async () => {
        const { router, stats, set } = deps.providers;
        await stats.flush();
        const [minute, hour, day] = await Promise.all([
          stats.window(WINDOWS.minute),
          stats.window(WINDOWS.hour),
          stats.window(WINDOWS.day),
        ]);
        return {
          providers: router.describe().map((p) => ({
            name: p.name,
            type: p.type,
            channel: p.channel,
            breaker: p.breaker,
            health: healthView(p.breaker, p.pausedUntil),
            default: p.isDefault,
            routes: (['email', 'sms'] as const).filter((c) => set.routes[c].includes(p.name)),
            stats: {
              minute: windowView(minute.get(p.name)),
              hour: windowView(hour.get(p.name)),
              day: windowView(day.get(p.name)),
            },
          })),
          routes: { email: [...set.routes.email], sms: [...set.routes.sms] },
        };
      },
    );
  };
}
