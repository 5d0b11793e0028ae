import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Metrics } from '../metrics.ts';
import type { ProviderHub } from '../providers/hub.ts';
import type { Ingest } from '../queue/ingest.ts';
import type { MessageService } from '../services/messages.ts';
import type { CampaignService } from '../campaigns/service.ts';
import type { StatsRecorder } from '../stats/recorder.ts';
import type { TemplateService } from '../templates/service.ts';
import type { UnsubscribeKit } from '../unsubscribe/setup.ts';
import type { Store } from '../store/store.ts';

/** What the HTTP layer is built from (passed by hand: no container). */
export interface AppDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  ingest: Ingest;
  messages: MessageService;
  /** Campaign use cases; the runtime's instance kicks the scheduler on changes (absent: routes make their own). */
  campaigns?: CampaignService;
  /** E-mail/SMS providers: receipts endpoint and GET /v1/providers (absent: those routes are not served). */
  providers?: ProviderHub;
  /** Dashboard counters: flushed before /v1/stats reads; receipts may count into it (absent: reads only). */
  stats?: StatsRecorder;
  /** Unsubscribe links: token signer and opt-out use case (absent: /u/{token} is not served). */
  unsubscribe?: Pick<UnsubscribeKit, 'tokens' | 'service'>;
  /** Stored templates (absent: buildApp makes one). */
  templates?: TemplateService;
}
