import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import { standardWebhookHeaders } from '../providers/webhook/signing.ts';
import { WebhookRouter } from '../providers/webhook/webhook.router.ts';
import type { LaneSettings, RoutedResult, Router } from '../queue/router.ts';
import { isEventDelivery } from '../store/event-deliveries.repo.ts';
import { CALLBACK_LANE_PREFIX, ENDPOINT_LANE_PREFIX } from './model.ts';

export const EVENTS_PROVIDER = 'events';

/**
 * Sends event deliveries: one lane per endpoint (`event:<id>`) and per callback origin
 * (`callback:<origin>`), through a WebhookRouter of its own (the same SSRF guard, caps, and answer
 * classification as webhook messages, in a separate connection pool), signed per Standard Webhooks
 * with the endpoint's secrets (two during a rotation) or the callback secret. `webhook-id` is the
 * event's id: the same on every retry and replay, so receivers can de-duplicate.
 */
export class EventRouter implements Router {
  private readonly http: WebhookRouter;
  private readonly lane: LaneSettings;
  private readonly clock: Clock;
  private readonly callbackSecret: () => string;

  constructor(cfg: Config, clock: Clock, callbackSecret: () => string) {
    this.clock = clock;
    this.callbackSecret = callbackSecret;
    const e = cfg.events;
    this.http = new WebhookRouter(cfg, clock, { concurrency: e.concurrency, timeoutMs: e.timeoutMs });
    this.lane = {
      concurrency: e.concurrency,
      batchSize: 1,
      lingerMs: 0,
      ratePerSec: null,
      timeoutMs: e.timeoutMs,
      retry: cfg.worker.retry,
      breaker: cfg.worker.breaker,
    };
  }

  settings(lane: string): LaneSettings | undefined {
    return lane.startsWith(ENDPOINT_LANE_PREFIX) || lane.startsWith(CALLBACK_LANE_PREFIX) ? this.lane : undefined;
  }

  async deliver(_lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]> {
    return Promise.all(
      batch.map(async (m): Promise<RoutedResult> => {
        if (!isEventDelivery(m))
          return {
            ok: false,
            retry: 'permanent',
            blame: 'recipient',
            reason: 'not an event delivery',
            provider: EVENTS_PROVIDER,
          };
        const d = m.delivery;
        const secrets = d.endpointId ? d.secrets : [this.callbackSecret()];
        const headers = {
          'user-agent': 'Herald/0.1 (+events)',
          'content-type': 'application/json',
          ...(secrets.length > 0 ? standardWebhookHeaders(secrets, d.eventId, this.clock.now(), d.body) : {}),
        };
        const r = await this.http.send({ url: m.recipient, method: 'POST', headers, body: d.body }, signal);
        return { ...r, provider: EVENTS_PROVIDER };
      }),
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
