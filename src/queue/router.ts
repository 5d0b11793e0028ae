import type { BreakerSettings, RetryPolicy } from '../config/config.ts';
import type { Message } from '../domain/message.ts';
import type { DeliveryResult } from '../providers/provider.ts';

/** How the worker runs one lane. */
export interface LaneSettings {
  /** Calls to the provider in flight at once. */
  concurrency: number;
  /** Messages per call (1: no batching). */
  batchSize: number;
  /** How long to wait for a batch to fill. */
  lingerMs: number;
  /** Messages per second, or null. */
  ratePerSec: number | null;
  /** Abort a call after this long. */
  timeoutMs: number;
  retry: RetryPolicy;
  breaker: BreakerSettings;
}

/**
 * A delivery result, with the provider that produced it (failover may pick another than asked)
 * and, for a transient failure, the other provider its next attempt goes to (retried without backoff).
 */
export type RoutedResult = DeliveryResult & { provider: string; nextProvider?: string };

/**
 * Maps lanes to providers. A lane is `webhook:<origin>`, a provider name, or a channel route
 * (`email`, `sms`). The worker asks the router how to run a lane and hands it batches.
 */
export interface Router {
  /** Settings for a lane, or undefined when nothing can serve it (its messages wait). */
  settings(lane: string): LaneSettings | undefined;
  /** Delivers a batch (length ≤ settings.batchSize); one result per message, in order; never throws. */
  deliver(lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]>;
  close(): Promise<void>;
}

/** Sends each lane to the first router that knows it. */
export class CompositeRouter implements Router {
  private readonly routers: readonly Router[];
  constructor(routers: readonly Router[]) {
    this.routers = routers;
  }
  /** Called per provider call: a loop, not find() and a closure. */
  private pick(lane: string): Router | undefined {
    for (const r of this.routers) if (r.settings(lane) !== undefined) return r;
    return undefined;
  }
  settings(lane: string): LaneSettings | undefined {
    return this.pick(lane)?.settings(lane);
  }
  deliver(lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]> {
    const r = this.pick(lane);
    if (!r) {
      return Promise.resolve(
        batch.map(
          () =>
            ({
              ok: false,
              retry: 'transient',
              blame: 'provider',
              reason: `no provider serves lane ${lane}`,
              provider: lane,
            }) as const,
        ),
      );
    }
    return r.deliver(lane, batch, signal);
  }
  async close(): Promise<void> {
    await Promise.all(this.routers.map((r) => r.close()));
  }
}
