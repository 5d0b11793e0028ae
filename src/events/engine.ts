import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { sleep, type Clock } from '../domain/clock.ts';
import { coerceError } from '../errors/app-error.ts';
import type { Metrics } from '../metrics.ts';
import { outagePause } from '../queue/backoff.ts';
import { Worker } from '../queue/worker.ts';
import { isStoreUnavailable } from '../store/faults.ts';
import type { Completion, DeliveryQueue, Store } from '../store/store.ts';
import { EventRouter } from './event.router.ts';
import { newSigningSecret } from './model.ts';

/** Events read from the outbox per dispatcher transaction. */
export const DISPATCH_PAGE = 500;
/** Least pause of the deliveries' worker when idle, and of the dispatcher between passes. */
const IDLE_POLL_MS = 250;
const DISPATCH_POLL_MS = 100;
/** Campaign starts and ends are looked for this often (they are rare; events rows are checked every pass). */
const CAMPAIGN_CHECK_MS = 1000;

export interface EventEngineDeps {
  store: Store;
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Signs per-message callbacks (resolveCallbackSecret). */
  callbackSecret: string;
}

/** The callback secret: HERALD_CALLBACK_SECRET, else one generated once and kept in the database. */
export async function resolveCallbackSecret(config: Config, store: Store, now: number): Promise<string> {
  return config.events.callbackSecret ?? store.settings.getOrCreate('events.callback_secret', newSigningSecret, now);
}

/*
 * EventEngine — status events, worker role. Two loops:
 *  - the dispatcher reads the outbox (`events` rows, written in the transaction of each state
 *    change) past its cursor and queues deliveries for matching endpoints and callbacks
 *    (store.eventDeliveries.dispatch, one transaction per page);
 *  - a Worker of its own (the message worker's class: lanes, breaker, retry schedule, lease,
 *    group-committed completions) runs the deliveries, one lane per endpoint, on a queue and a
 *    connection pool apart from the messages', so a dead or slow endpoint never takes a message's slot.
 */
export class EventEngine {
  readonly worker: Worker;
  private readonly d: EventEngineDeps;
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private sleeping: AbortController | null = null;
  private failures = 0;
  private campaignsCheckedAt = 0;

  constructor(deps: EventEngineDeps) {
    this.d = deps;
    const repo = deps.store.eventDeliveries;
    const disableAfterMs = deps.config.events.disableAfterMs;
    const queue: DeliveryQueue = {
      claim: (o) => repo.claim(o),
      complete: (c: readonly Completion[]) => repo.complete(c, { disableAfterMs }),
      extendLeases: (ids, owner, until) => repo.extendLeases(ids, owner, until),
      reapLeases: (now) => repo.reapLeases(now),
      expireOverdue: () => repo.expireOverdue(),
    };
    const logger = deps.logger.child({ role: 'events' });
    this.worker = new Worker({
      store: deps.store,
      router: new EventRouter(deps.config, deps.clock, () => deps.callbackSecret),
      clock: deps.clock,
      logger,
      metrics: deps.metrics,
      // Woken by the dispatcher when it queues deliveries; polling finds retries that come due.
      config: { ...deps.config.worker, pollMs: Math.max(deps.config.worker.pollMs, IDLE_POLL_MS) },
      queue,
      listen: false,
      // No message metrics or dashboard counters: deliveries are not messages. A debug line each.
      observe: (_d, m, r, c, durationMs) =>
        logger.debug(
          {
            deliveryId: m.id,
            lane: m.lane,
            statusCode: r.statusCode,
            durationMs,
            state: c.to,
            reason: r.ok ? undefined : r.reason,
          },
          'event delivery attempt',
        ),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** New events may be waiting (a state change committed): dispatch now instead of at the next poll. */
  kick(): void {
    this.sleeping?.abort();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.kick();
    await this.done;
    await this.worker.stop();
  }

  /** One dispatcher pass (tests call it directly). */
  async dispatchOnce(): Promise<{ read: number; queued: number }> {
    const now = this.d.clock.now();
    const campaigns = now - this.campaignsCheckedAt >= CAMPAIGN_CHECK_MS;
    if (campaigns) this.campaignsCheckedAt = now;
    const r = await this.d.store.eventDeliveries.dispatch(now, DISPATCH_PAGE, this.d.config.worker.retry.maxAttempts, {
      campaigns,
    });
    if (r.queued > 0) this.worker.wake();
    return r;
  }

  private async loop(): Promise<void> {
    // Start after one pause: a starting process's first message deliveries go before event work.
    await this.pause();
    if (this.running) this.worker.start();
    while (this.running) {
      let full = false;
      try {
        const r = await this.dispatchOnce();
        full = r.read >= DISPATCH_PAGE;
        this.failures = 0;
      } catch (err) {
        if (isStoreUnavailable(err)) this.failures++;
        this.d.metrics.loopErrors.inc({ loop: 'events' });
        this.d.logger.error({ err: coerceError(err), loop: 'events' }, 'event dispatcher error');
      }
      if (this.running && !full) await this.pause();
    }
  }

  private async pause(): Promise<void> {
    const sleeping = (this.sleeping = new AbortController());
    const interval = Math.max(this.d.config.worker.pollMs, DISPATCH_POLL_MS);
    await sleep(this.d.clock, outagePause(interval, this.failures), sleeping.signal);
    this.sleeping = null;
  }
}
