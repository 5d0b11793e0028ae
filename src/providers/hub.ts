import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import { buildProviders, type ProviderSet } from './build.ts';
import { ProviderRouter } from './provider.router.ts';
import { ProviderStats } from './stats/provider-stats.ts';
import type { MailContext } from './email/mail.ts';

/** The e-mail/SMS provider side of one Herald process: the providers, their router and call stats. */
export interface ProviderHub {
  set: ProviderSet;
  router: ProviderRouter;
  stats: ProviderStats;
}

/** Builds providers, starts the stats flusher. `router.close()` closes providers and flushes stats. */
export function createProviderHub(deps: {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** E-mail providers' Message-ID domain and unsubscribe links. */
  mail?: MailContext;
}): ProviderHub {
  const logger = deps.logger.child({ component: 'providers' });
  const set = buildProviders({ ...deps, logger });
  const stats = new ProviderStats({ store: deps.store, clock: deps.clock, metrics: deps.metrics, logger });
  stats.start();
  const router = new ProviderRouter({ set, config: deps.config, clock: deps.clock, logger, stats });
  return { set, router, stats };
}
