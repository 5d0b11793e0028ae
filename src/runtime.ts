import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { buildOpsApp } from './api/ops-app.ts';
import { buildRpcApp } from './api/compat/postmaster/rpc-server.ts';
import { bootstrapApiKey } from './auth/api-keys.ts';
import type { Config } from './config/config.ts';
import { carrierOf } from './domain/lanes.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createProviderHub, type ProviderHub } from './providers/hub.ts';
import { WebhookRouter } from './providers/webhook/webhook.router.ts';
import { Ingest } from './queue/ingest.ts';
import { CompositeRouter, type Router } from './queue/router.ts';
import { Worker } from './queue/worker.ts';
import { MessageService } from './services/messages.ts';
import { CampaignScheduler } from './campaigns/scheduler.ts';
import { CampaignService } from './campaigns/service.ts';
import { RecipientScreen } from './services/screening.ts';
import { RetentionJob } from './services/retention.ts';
import { openStore } from './store/open-store.ts';
import { runShutdown } from './shutdown.ts';
import { StatsRecorder } from './stats/recorder.ts';
import type { Store } from './store/store.ts';
import { createUnsubscribeKit } from './unsubscribe/setup.ts';
import { EventEngine, resolveCallbackSecret } from './events/engine.ts';

export type Role = 'api' | 'worker';

export interface Runtime {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  ingest: Ingest;
  messages: MessageService;
  campaigns: CampaignService;
  router: Router;
  /** E-mail/SMS providers, their router and call stats. */
  providers: ProviderHub;
  app?: FastifyInstance;
  /** A worker-only process's /metrics, /healthz, /readyz (main.ts listens on HERALD_METRICS_PORT or PORT). */
  opsApp?: FastifyInstance;
  /** Postmaster's separate JSON-RPC listener, when HERALD_RPC_PORT is set (main.ts listens on it). */
  rpcApp?: FastifyInstance;
  worker?: Worker;
  /** Status events: the outbox dispatcher and the event deliveries' worker (worker role). */
  events?: EventEngine;
  /** The campaign scheduler (worker role), started with the runtime. */
  scheduler?: CampaignScheduler;
  /** Retention (worker role): purges final messages past HERALD_RETENTION_DAYS, started with the runtime. */
  retention?: RetentionJob;
  /** The generated first API key, when one was made on this start. */
  generatedKey?: string;
  /**
   * Graceful stop: no new requests, pending commits flushed, in-flight deliveries finished or handed
   * back. Every step runs even when one fails; the failures are thrown together afterwards.
   */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  roles: readonly Role[];
  logger?: Logger;
  clock?: Clock;
  /** PostgreSQL schema (tests). */
  schema?: string;
  /** Node's process metrics on /metrics (default true; tests running many runtimes in one process turn it off). */
  processMetrics?: boolean;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.token', '*.password', '*.apiKey'] });
}

/** Wires Herald from its config: store (migrated), services, and the requested roles. */
export async function createRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const store = await openStore({
    url: config.databaseUrl,
    schema: opts.schema,
    poolSize: config.dbPoolSize,
    // A dropped connection (restart, pg_terminate_backend): the pool and LISTEN reconnect by themselves.
    onConnectionError: (err) => logger.warn({ err }, 'database connection lost; reconnecting'),
  });
  const status = await store.migrate();
  logger.info({ schema: status.current, dialect: store.dialect }, 'database ready');
  const metrics = createMetrics({ defaults: opts.processMetrics ?? true });
  const stats = new StatsRecorder({
    sink: store.stats,
    clock,
    logger,
    onError: () => metrics.loopErrors.inc({ loop: 'stats' }),
  });
  stats.start();
  // Preferences and the suppression list: checked at ingest (once per group) and again before each provider call.
  const screen = new RecipientScreen({ store });
  const unsubscribe = await createUnsubscribeKit(config, store, clock);
  const providers = createProviderHub({ config, store, clock, logger, metrics, mail: unsubscribe.mail });
  // Accepted messages count under the provider that will carry them: the one named, else the route's first.
  const routes = providers.set.routes;
  const ingest = new Ingest({ store, clock, metrics, stats, screen: (m) => screen.screenNew(m), routes });
  const messages = new MessageService({ store, ingest, clock, config, routes });
  const campaigns = new CampaignService({ store, clock, config });
  const router: Router = new CompositeRouter([new WebhookRouter(config, clock), providers.router]);
  const rt: Runtime = {
    config,
    store,
    logger,
    metrics,
    clock,
    ingest,
    messages,
    campaigns,
    router,
    providers,
    stop: () =>
      runShutdown(
        [
          ['http', () => rt.app?.close()],
          ['ops', () => rt.opsApp?.close()],
          ['rpc', () => rt.rpcApp?.close()],
          ['ingest', () => ingest.drain()],
          ['scheduler', () => rt.scheduler?.stop()],
          ['retention', () => rt.retention?.stop()],
          ['worker', () => rt.worker?.stop()],
          ['events', () => rt.events?.stop()],
          ['stats', () => stats.stop()],
          ['providers', () => router.close()],
          ['store', () => store.close()],
        ],
        logger,
      ),
  };
  if (opts.roles.includes('api')) {
    const keys = await bootstrapApiKey(store, config.apiKey, clock.now());
    rt.generatedKey = keys.generated;
    for (const k of keys.revoked)
      logger.warn({ keyId: k.id, prefix: k.prefix }, 'HERALD_API_KEY changed: the previous environment key is revoked');
    if (keys.envKeyRevoked) logger.warn('HERALD_API_KEY holds a revoked key: it does not authenticate');
    rt.app = await buildApp({
      ...{ config, store, clock, logger, metrics, ingest, messages, providers, campaigns, stats },
      unsubscribe,
    });
    if (config.rpcPort) {
      rt.rpcApp = await buildRpcApp({ config, store, clock, logger, metrics, ingest, messages, providers });
    }
  }
  if (opts.roles.includes('worker')) {
    const worker = new Worker({
      store,
      router,
      clock,
      logger: logger.child({ role: 'worker' }),
      metrics,
      config: config.worker,
      stats,
      screen: (m) => screen.screen(m),
    });
    ingest.onCommitted(() => worker.wake());
    rt.worker = worker;
    if (!rt.app) rt.opsApp = await buildOpsApp({ config, store, clock, logger, metrics });
    const scheduler = new CampaignScheduler({
      store,
      clock,
      logger: logger.child({ role: 'scheduler' }),
      metrics,
      maxAttempts: (channel, provider) => messages.defaultMaxAttempts(channel, provider),
      smsMaxSegments: config.content.smsMaxSegments,
      onMessages: () => worker.wake(),
      onAccepted: (channel, provider, n, segments) => {
        const label = carrierOf(channel, provider, routes);
        metrics.accepted.inc({ channel, provider: label }, n);
        stats.accepted(channel, label, n, segments);
      },
    });
    campaigns.onChange(() => scheduler.kick());
    scheduler.start();
    rt.scheduler = scheduler;
    const callbackSecret = await resolveCallbackSecret(config, store, clock.now());
    // Started beside the worker (main.ts): dispatcher and event deliveries.
    rt.events = new EventEngine({ store, config, clock, logger, metrics, callbackSecret });
    // The audit log keeps 90 days whatever retention asks (AUDIT_MIN_RETENTION_MS).
    rt.retention = new RetentionJob({
      store,
      clock,
      logger: logger.child({ role: 'retention' }),
      metrics,
      policy: config.retention,
      purgers: [
        { name: 'audit_log', purgeOlderThan: (before, now) => store.audit.purgeOlderThan(before, now) },
        // Finished event deliveries and their attempts, a batch per pass.
        { name: 'event_deliveries', purgeOlderThan: (before) => store.eventDeliveries.purgeOlderThan(before) },
      ],
    });
    rt.retention.start();
  }
  return rt;
}
