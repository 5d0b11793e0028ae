import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import { coerceError } from '../errors/app-error.ts';
import type { Metrics } from '../metrics.ts';
import type { Completion, Store } from '../store/store.ts';
import { decide } from './decide.ts';
import { GroupCommit } from './group-commit.ts';
import { Lane } from './lane.ts';
import type { RoutedResult, Router } from './router.ts';
import type { StatsRecorder } from '../stats/recorder.ts';

export interface WorkerDeps {
  store: Store;
  router: Router;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: Config['worker'];
  /** Lease owner id; random by default. */
  owner?: string;
  /**
   * Checked just before a call (preferences, suppression list): answers the ids that must not be
   * sent, with the reason. They end `suppressed` and the provider never sees them.
   */
  screen?: (messages: readonly Message[]) => Promise<Map<string, string>>;
  /** Per-minute counters for the dashboard (aggregated in memory, flushed in batches). */
  stats?: StatsRecorder;
}

const HOUSEKEEPING_MS = 1000;
const UNSERVED_PAUSE_MS = 30_000;

/**
 * The delivery worker: claims due messages in batches with a lease, spreads them over lanes (one
 * per provider or webhook origin, each with its own concurrency, batching, rate limit and
 * breaker), calls the router, and writes the outcomes through a group commit.
 * Background loops never throw: they log, count `herald_loop_errors_total`, and carry on.
 */
export class Worker {
  readonly owner: string;
  private readonly d: WorkerDeps;
  private readonly lanes = new Map<string, Lane>();
  private readonly inHand = new Map<string, Message>();
  private readonly completer: GroupCommit<Completion, void>;
  private readonly unserved = new Map<string, number>();
  private readonly abort = new AbortController();
  private running = false;
  private aborting = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private unlisten: (() => Promise<void>) | undefined;
  private lastHousekeeping = 0;
  private lastLeaseExtension = 0;
  private readonly inFlightCalls = new Set<Promise<void>>();
  private readonly settling = new Set<Promise<void>>();

  constructor(deps: WorkerDeps) {
    this.d = deps;
    this.owner = deps.owner ?? `w-${randomBytes(6).toString('hex')}`;
    this.completer = new GroupCommit<Completion, void>(async (items) => {
      await this.d.store.messages.complete(items);
      return items.map(() => undefined);
    }, 1000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    // Other processes' new messages wake this worker at once (PostgreSQL NOTIFY); polling remains.
    this.d.store
      .listen?.(() => this.wake())
      .then(
        (stop) => (this.running ? (this.unlisten = stop) : void stop()),
        (err: unknown) => this.loopError('listen', err),
      );
  }

  /** New work may be due (a message was accepted, a call finished). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Messages held or in flight. */
  get load(): number {
    return this.inHand.size;
  }

  /**
   * Stops claiming, hands back what is buffered, lets calls in flight finish for up to
   * `timeoutMs`, then aborts them and hands those back too. Nothing claimed is left leased.
   */
  async stop(timeoutMs = this.d.config.shutdownTimeoutMs): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    await this.unlisten?.();
    await this.releaseBuffered();
    const calls = Promise.all([...this.inFlightCalls]);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([calls.then(() => 'done' as const), timer])) === 'timeout') {
      this.aborting = true;
      this.abort.abort(new Error('worker shutting down'));
      await calls;
    }
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    await Promise.all([...this.settling]);
    await this.completer.drain();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      let limit = 0;
      try {
        await this.housekeeping();
        limit = Math.min(500, this.d.config.maxInFlight - this.inHand.size);
        if (limit > 0) {
          const now = this.d.clock.now();
          const batch = await this.d.store.messages.claim({
            owner: this.owner,
            limit,
            now,
            leaseMs: this.d.config.leaseMs,
            excludeLanes: this.blockedLanes(now),
          });
          claimed = batch.length;
          for (const m of batch) this.dispatch(m);
        }
      } catch (err) {
        this.loopError('claim', err);
      }
      if (this.running && (limit <= 0 || claimed < limit)) await this.sleep(this.d.config.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async housekeeping(): Promise<void> {
    const now = this.d.clock.now();
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      const reaped = await this.d.store.messages.reapLeases(now);
      const expired = await this.d.store.messages.expireOverdue(now);
      if (reaped || expired) this.d.logger.info({ reaped, expired }, 'housekeeping');
    }
    if (this.inHand.size > 0 && now - this.lastLeaseExtension >= this.d.config.leaseMs / 3) {
      this.lastLeaseExtension = now;
      await this.d.store.messages.extendLeases([...this.inHand.keys()], this.owner, now + this.d.config.leaseMs);
    }
  }

  /** Lanes not to claim for: full, breaker open, or served by nobody. */
  private blockedLanes(now: number): string[] {
    const out: string[] = [];
    for (const lane of this.lanes.values()) {
      if (lane.full || lane.breaker.state === 'open') {
        lane.excluded = true;
        out.push(lane.key);
      }
    }
    for (const [key, until] of this.unserved) {
      if (until > now) out.push(key);
      else this.unserved.delete(key);
    }
    return out;
  }

  private dispatch(m: Message): void {
    this.inHand.set(m.id, m);
    let lane = this.lanes.get(m.lane);
    if (!lane) {
      const settings = this.d.router.settings(m.lane);
      if (!settings) {
        const until = this.d.clock.now() + UNSERVED_PAUSE_MS;
        this.unserved.set(m.lane, until);
        void this.handBack([m], until, `no provider serves lane ${m.lane}`);
        return;
      }
      lane = new Lane(m.lane, settings, this.d.clock);
      this.lanes.set(m.lane, lane);
    }
    lane.push(m);
    this.pump(lane);
  }

  /** Starts as many calls as the lane allows. */
  private pump(lane: Lane): void {
    if (lane.timer) {
      clearTimeout(lane.timer);
      lane.timer = null;
    }
    while (lane.buffer.length > 0 && lane.active < lane.settings.concurrency) {
      if (!lane.breaker.allow()) {
        const back = lane.buffer.splice(0);
        void this.handBack(back, lane.breaker.reopensAt, 'circuit breaker open');
        return;
      }
      if (!lane.batchReady() && this.running) return this.later(lane, lane.lingerLeft());
      const wait = lane.takeTokens(Math.min(lane.buffer.length, lane.settings.batchSize));
      if (wait > 0) return this.later(lane, wait);
      const batch = lane.take();
      lane.active++;
      this.d.metrics.lanes.started(lane.key);
      const call = this.send(lane, batch).finally(() => {
        lane.active--;
        this.d.metrics.lanes.ended(lane.key);
        this.inFlightCalls.delete(call);
        if (this.running || lane.buffer.length > 0) this.pump(lane);
        // Claim again only when a lane that was left out of claims (full) has room again: a claim
        // that skips a busy lane still walks that lane's queued rows, so it must not run per call.
        if (lane.excluded && lane.buffer.length <= lane.capacity / 2) {
          lane.excluded = false;
          this.wake();
        }
      });
      this.inFlightCalls.add(call);
    }
  }

  private later(lane: Lane, ms: number): void {
    lane.timer ??= setTimeout(() => {
      lane.timer = null;
      this.pump(lane);
    }, ms);
  }

  private async send(lane: Lane, batch: Message[]): Promise<void> {
    const startedAt = this.d.clock.now();
    const completions: Completion[] = [];
    const settleEarly = (m: Message, to: 'expired' | 'suppressed', reason: string) =>
      completions.push({
        id: m.id,
        owner: this.owner,
        to,
        at: startedAt,
        countsAttempt: false,
        reason,
        event: { type: to, source: 'worker', detail: reason },
      });
    let blocked = new Map<string, string>();
    try {
      if (this.d.screen) blocked = await this.d.screen(batch);
    } catch (err) {
      this.loopError('screen', err);
      await this.handBack(batch, startedAt + this.d.config.pollMs * 10, 'screening failed; will try again');
      return;
    }
    const live: Message[] = [];
    for (const m of batch) {
      const why = blocked.get(m.id);
      if (why) settleEarly(m, 'suppressed', why);
      else if (m.notAfter != null && m.notAfter < startedAt)
        settleEarly(m, 'expired', 'not_after passed before it could be sent');
      else live.push(m);
    }
    let results: RoutedResult[] = [];
    if (live.length > 0) {
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(lane.settings.timeoutMs)]);
      try {
        results = await this.d.router.deliver(lane.key, live, signal);
      } catch (err) {
        const reason = coerceError(err).message;
        results = live.map(() => ({ ok: false, retry: 'transient', blame: 'provider', reason, provider: lane.key }));
      }
    }
    const now = this.d.clock.now();
    const durationMs = now - startedAt;
    this.updateBreaker(lane, results);
    live.forEach((m, i) => {
      const r = results[i] ?? {
        ok: false,
        retry: 'transient',
        blame: 'provider',
        reason: 'provider gave no result',
        provider: lane.key,
      };
      if (this.aborting && !r.ok) {
        completions.push(this.release(m, now, 'worker shut down during the call', false));
        return;
      }
      const c = decide(m, r, { owner: this.owner, now, startedAt, durationMs, settings: lane.settings });
      completions.push(c);
      this.observe(m, r, c, durationMs);
    });
    // The call slot is free as soon as the provider answered; the outcome commits in the background
    // (grouped with others) while the messages stay in hand, their leases kept alive.
    this.track(this.settle(completions));
  }

  private updateBreaker(lane: Lane, results: RoutedResult[]): void {
    if (results.length === 0) return;
    if (results.some((r) => r.ok || r.blame === 'recipient')) lane.breaker.success();
    else if (results.every((r) => !r.ok && r.retry === 'transient')) lane.breaker.failure();
  }

  private observe(m: Message, r: RoutedResult, c: Completion, durationMs: number): void {
    const labels = { channel: m.channel, provider: r.provider };
    const mx = this.d.metrics;
    mx.attemptSeconds.observe({ ...labels, outcome: r.ok ? 'ok' : r.retry }, durationMs / 1000);
    if (c.to === 'delivered') mx.delivered.inc(labels);
    else if (c.to === 'sent') mx.sent.inc(labels);
    else if (c.to === 'failed') mx.failed.inc(labels);
    else if (c.to === 'queued') mx.retried.inc(labels);
    if (c.to === 'queued') this.d.stats?.completed(m.channel, r.provider, 'retried');
    else if (c.to === 'sent' || c.to === 'delivered' || c.to === 'failed')
      this.d.stats?.completed(m.channel, r.provider, c.to, c.at - Math.max(m.createdAt, m.dueAt)); // since due
    this.d.logger.info(
      {
        messageId: m.id,
        lane: m.lane,
        provider: r.provider,
        attempt: c.attempt?.number,
        deliveredAt: new Date(c.at).toISOString(),
        statusCode: r.statusCode,
        responseTimeMs: durationMs,
        responseBody: c.attempt?.response,
        outcome: r.ok ? 'ok' : r.retry,
        state: c.to,
        reason: r.ok ? undefined : r.reason,
      },
      'delivery attempt',
    );
  }

  private release(m: Message, dueAt: number, reason: string, countsAttempt: boolean): Completion {
    return {
      id: m.id,
      owner: this.owner,
      to: 'queued',
      at: this.d.clock.now(),
      dueAt,
      reason,
      countsAttempt,
      event: { type: 'released', source: 'worker', detail: reason },
    };
  }

  /** Gives messages back to the queue without spending an attempt. */
  private async handBack(messages: Message[], dueAt: number, reason: string): Promise<void> {
    await this.settle(messages.map((m) => this.release(m, dueAt, reason, false)));
  }

  private async releaseBuffered(): Promise<void> {
    const back = [...this.lanes.values()].flatMap((l) => l.buffer.splice(0));
    if (back.length > 0) await this.handBack(back, this.d.clock.now(), 'worker stopped');
  }

  private track(p: Promise<void>): void {
    this.settling.add(p);
    void p.finally(() => this.settling.delete(p));
  }

  private async settle(completions: Completion[]): Promise<void> {
    try {
      await Promise.all(completions.map((c) => this.completer.submit(c)));
    } catch (err) {
      // The leases stay; they expire and the messages are claimed again (at-least-once).
      this.loopError('complete', err);
    } finally {
      for (const c of completions) this.inHand.delete(c.id);
    }
  }

  private loopError(loop: string, err: unknown): void {
    const e = coerceError(err);
    this.d.metrics.loopErrors.inc({ loop });
    this.d.logger.error({ err: e, loop }, 'worker loop error');
  }
}
