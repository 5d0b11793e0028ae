import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Herald's Prometheus metrics, on a registry of their own (one per app, so tests stay apart).
 * Labels are bounded: channel, provider (configured names, `webhook` for all webhooks), state, lane.
 */
export interface Metrics {
  registry: Registry;
  accepted: Counter<'channel' | 'provider'>;
  delivered: Counter<'channel' | 'provider'>;
  sent: Counter<'channel' | 'provider'>;
  failed: Counter<'channel' | 'provider'>;
  retried: Counter<'channel' | 'provider'>;
  attemptSeconds: Histogram<'channel' | 'provider' | 'outcome'>;
  queueDepth: Gauge<'state'>;
  laneInFlight: Gauge<'lane'>;
  loopErrors: Counter<'loop'>;
  /** Provider calls (one per batch handed to a provider), by the call's outcome (ok | partial | transient | permanent). */
  providerCalls: Counter<'provider' | 'outcome'>;
  /** Messages in provider calls, by each message's outcome (ok | transient | permanent). */
  providerMessages: Counter<'provider' | 'outcome'>;
  providerCallSeconds: Histogram<'provider'>;
}

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const byProvider: ('channel' | 'provider')[] = ['channel', 'provider'];
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
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'herald_queue_depth',
      help: 'Messages by state',
      labelNames: ['state'],
      registers: [registry],
    }),
    laneInFlight: new Gauge({
      name: 'herald_lane_in_flight',
      help: 'Provider calls in flight per lane (lane concurrency in use)',
      labelNames: ['lane'],
      registers: [registry],
    }),
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
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
