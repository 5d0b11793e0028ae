import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import { laneProviders } from '../domain/lanes.ts';
import { coerceError } from '../errors/app-error.ts';
import { Breaker, type BreakerState } from '../queue/breaker.ts';
import type { LaneSettings, RoutedResult, Router } from '../queue/router.ts';
import { closeProviders, type BuiltProvider, type ProviderSet } from './build.ts';
import type { DeliveryResult } from './provider.ts';
import type { ProviderStats } from './stats/provider-stats.ts';

/** Where the router reports its calls (ProviderStats; a list in unit tests). */
export type CallRecorder = Pick<ProviderStats, 'record' | 'stop'>;

/** Attempts a provider of a route gets before the next one takes a message (per provider: `attemptsBeforeFailover`). */
export const DEFAULT_ATTEMPTS_BEFORE_FAILOVER = 2;

/** The pseudo-provider of `@test` recipients: nothing is sent, the message completes as delivered. */
export const TEST_SINK = 'test-sink';

/** Postmaster's rule (seed 001): an address ending in `@test` is never sent anywhere. */
export function isTestRecipient(recipient: string): boolean {
  return recipient.toLowerCase().endsWith('@test');
}

/** One provider as GET /v1/providers shows it. */
export interface ProviderInfo {
  name: string;
  type: string;
  channel: string;
  breaker: BreakerState;
  /** When an open breaker lets its next trial call through (ms epoch); null unless open. */
  pausedUntil: number | null;
  /** Default outbox standing in for a channel without providers. */
  isDefault: boolean;
}

/**
 * Routes e-mail and SMS lanes to providers. A lane is a channel route (`email`, `sms`: the
 * channel's providers in failover order) or a provider's name (a message that named its
 * provider). Each provider has its own breaker here, besides the lane's breaker in the worker:
 * - the next provider of a route is tried when this one's breaker is open, when it failed
 *   permanently through its own fault (blame `provider`), or when its failure just opened its
 *   breaker; a failure blamed on the recipient never fails over;
 * - the last provider of a route is always called: the worker's lane breaker guards it.
 * Every provider call is timed and recorded in ProviderStats.
 */
export class ProviderRouter implements Router {
  private readonly set: ProviderSet;
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly stats: CallRecorder;
  private readonly breakers = new Map<string, Breaker>();
  private readonly lanes = new Map<string, LaneSettings>();

  constructor(deps: { set: ProviderSet; config: Config; clock: Clock; logger: Logger; stats: CallRecorder }) {
    this.set = deps.set;
    this.config = deps.config;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.stats = deps.stats;
    for (const name of this.set.byName.keys())
      this.breakers.set(name, new Breaker(deps.config.worker.breaker, deps.clock));
  }

  /** The providers a lane tries, in order; undefined for lanes this router does not serve. */
  chain(lane: string): readonly string[] | undefined {
    return laneProviders(lane, this.set.routes, (name) => this.set.byName.has(name));
  }

  settings(lane: string): LaneSettings | undefined {
    const cached = this.lanes.get(lane);
    if (cached) return cached;
    const first = this.chain(lane)?.[0];
    const entry = first === undefined ? undefined : this.set.byName.get(first);
    if (!entry) return undefined;
    const { config: cfg, provider } = entry;
    const s: LaneSettings = {
      concurrency: cfg.concurrency,
      batchSize: Math.max(1, provider.capabilities.maxBatch),
      lingerMs: provider.capabilities.lingerMs,
      ratePerSec: cfg.rateLimit,
      timeoutMs: cfg.timeoutMs,
      retry: cfg.retry,
      breaker: this.config.worker.breaker,
    };
    this.lanes.set(lane, s);
    return s;
  }

  async deliver(lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]> {
    const results: (RoutedResult | undefined)[] = batch.map((m) =>
      isTestRecipient(m.recipient)
        ? { ok: true, state: 'delivered', provider: TEST_SINK, response: '@test recipient: not sent anywhere' }
        : undefined,
    );
    const chain = this.chain(lane) ?? [];
    // Each message starts at the provider whose share of attempts it is in (attemptsBeforeFailover).
    const groups = new Map<number, number[]>();
    batch.forEach((m, i) => {
      if (results[i]) return;
      const k = this.providerIndex(chain, m.attempts);
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    for (const [from, todo] of groups) await this.walk(lane, chain, from, batch, todo, results, signal);
    return results.map((r, i) => {
      const m = batch[i]!;
      if (!r)
        return {
          ok: false,
          retry: 'transient',
          blame: 'provider',
          reason: signal.aborted
            ? 'aborted before a provider could be called'
            : `no provider of lane ${lane} is available`,
          provider: chain[0] ?? lane,
        };
      return this.afterAttempt(chain, m, r);
    });
  }

  /**
   * Calls providers from `chain[from]` on: the next one is tried at once when this one's breaker is
   * open, when it failed permanently through its own fault, or when its failure just opened its breaker.
   */
  private async walk(
    lane: string,
    chain: readonly string[],
    from: number,
    batch: readonly Message[],
    todo: number[],
    results: (RoutedResult | undefined)[],
    signal: AbortSignal,
  ): Promise<void> {
    for (let k = from; k < chain.length && todo.length > 0 && !signal.aborted; k++) {
      const name = chain[k]!;
      const last = k === chain.length - 1;
      const breaker = this.breakers.get(name)!;
      if (!last && !breaker.allow()) continue;
      const res = await this.call(
        name,
        todo.map((i) => batch[i]!),
        signal,
      );
      recordBreaker(breaker, res);
      const next: number[] = [];
      res.forEach((r, j) => {
        const i = todo[j]!;
        results[i] = { ...r, provider: name };
        const failover = !r.ok && r.blame === 'provider' && (r.retry === 'permanent' || breaker.state !== 'closed');
        if (failover && !last) next.push(i);
      });
      if (next.length > 0)
        this.logger.warn({ lane, provider: name, messages: next.length, next: chain[k + 1] }, 'failing over');
      todo = next;
    }
  }

  /**
   * The provider of a route that takes a message's attempt number `attempts + 1`: the first
   * provider has its `attemptsBeforeFailover` (default 2, at most its maxAttempts) first attempts,
   * the next one the following share, and so on; the last provider keeps the rest.
   */
  private providerIndex(chain: readonly string[], attempts: number): number {
    let used = 0;
    for (let k = 0; k < chain.length - 1; k++) {
      const cfg = this.set.byName.get(chain[k]!)?.config;
      used += Math.min(
        cfg?.attemptsBeforeFailover ?? DEFAULT_ATTEMPTS_BEFORE_FAILOVER,
        cfg?.retry.maxAttempts ?? Infinity,
      );
      if (attempts < used) return k;
    }
    return Math.max(0, chain.length - 1);
  }

  /**
   * A transient failure whose next attempt belongs to another provider of the route says so
   * (`nextProvider`: the worker retries it without backoff). On the last provider, that provider's
   * own `maxAttempts` (e.g. sms-batch's "a failed batch is retried up to maxAttempts times") caps
   * the message's budget: a transient failure on the last attempt it allows becomes final.
   */
  private afterAttempt(chain: readonly string[], m: Message, r: RoutedResult): RoutedResult {
    if (r.ok || r.retry !== 'transient') return r;
    const at = chain.indexOf(r.provider);
    if (at >= 0 && at < chain.length - 1) {
      const next = this.providerIndex(chain, m.attempts + 1);
      return next > at ? { ...r, nextProvider: chain[next]! } : r;
    }
    const max = this.set.byName.get(r.provider)?.config.retry.maxAttempts;
    const attempt = m.attempts + 1;
    if (max === undefined || attempt < max) return r;
    const reason = `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} (${r.provider} maxAttempts ${max}): ${r.reason}`;
    return { ...r, retry: 'permanent', reason };
  }

  /** One provider call, split to its maxBatch; timed and recorded; never throws. */
  private async call(name: string, msgs: Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    const provider = this.set.byName.get(name)!.provider;
    const size = Math.max(1, provider.capabilities.maxBatch);
    const out: DeliveryResult[] = [];
    for (let i = 0; i < msgs.length; i += size) {
      const chunk = msgs.slice(i, i + size);
      const started = performance.now();
      const res = await sendSafely(provider, chunk, signal);
      this.stats.record({ provider: name, results: res, latencyMs: performance.now() - started, at: this.clock.now() });
      out.push(...res);
    }
    return out;
  }

  /** Every provider with its breaker state. */
  describe(): ProviderInfo[] {
    return [...this.set.byName.values()].map(({ provider, config }) => ({
      name: provider.name,
      type: provider.type,
      channel: provider.channel,
      breaker: this.breakers.get(provider.name)!.state,
      pausedUntil:
        this.breakers.get(provider.name)!.state === 'open' ? this.breakers.get(provider.name)!.reopensAt : null,
      isDefault: !this.config.providers.some((p) => p.name === config.name),
    }));
  }

  async close(): Promise<void> {
    await closeProviders(this.set, this.logger);
    await this.stats.stop();
  }
}

/** A provider call that cannot throw and always answers one result per message. */
async function sendSafely(p: BuiltProvider, batch: Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
  let res: DeliveryResult[];
  try {
    res = await p.send(batch, signal);
  } catch (err) {
    const reason = `provider threw: ${coerceError(err).message}`;
    return batch.map(() => ({ ok: false, retry: 'transient', blame: 'provider', reason }));
  }
  return batch.map(
    (_, i) => res[i] ?? { ok: false, retry: 'transient', blame: 'provider', reason: 'provider gave no result' },
  );
}

/** Any success (or a failure that is the recipient's) proves the provider works; all-provider failures count against it. */
function recordBreaker(b: Breaker, res: readonly DeliveryResult[]): void {
  if (res.length === 0) return;
  if (res.some((r) => r.ok || r.blame === 'recipient')) b.success();
  else b.failure();
}
