import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { sleep, type Clock, type Timer } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import { coerceError } from '../errors/app-error.ts';
import type { Metrics } from '../metrics.ts';
import type { ClaimOptions, Completion, DeliveryQueue, Store } from '../store/store.ts';
import { decide } from './decide.ts';
import { outagePause } from './backoff.ts';
import { isStoreUnavailable } from '../store/faults.ts';
import { CompletionWriter } from './completions.ts';
import { Lane } from './lane.ts';
import { Tally } from './tally.ts';
import { observeAttempt } from './observe.ts';
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
  /** The queue to run (default: the message table). Event deliveries run on their own worker. */
  queue?: DeliveryQueue;
  /** Records one attempt (default observeAttempt: metrics, dashboard counters, log line). */
  observe?: typeof observeAttempt;
  /** Wake on other processes' new messages (PostgreSQL NOTIFY); default true. */
  listen?: boolean;
}

const HOUSEKEEPING_MS = 1000;
const UNSERVED_PAUSE_MS = 30_000;
/** A lane unused this long is dropped (one exists per webhook origin: without this they pile up). */
export const LANE_IDLE_MS = 60_000;

/**
 * The delivery worker: claims due messages in batches with a lease, spreads them over lanes (one
 * per provider or webhook origin, each with its own concurrency, batching, rate limit and
 * breaker), calls the router, and writes the outcomes through a group commit.
 * Background loops never throw: they log, count `herald_loop_errors_total`, and carry on.
 */
export class Worker {
  readonly owner: string;
  private readonly d: WorkerDeps;
  private readonly queue: DeliveryQueue;
  private readonly lanes = new Map<string, Lane>();
  private readonly inHand = new Map<string, Message>();
  private readonly completions: CompletionWriter;
  private readonly unserved = new Map<string, number>();
  private running = false;
  private aborting = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** Aborted by wake() while the loop sleeps between claims. */
  private sleeping: AbortController | null = null;
  /** wake() was called since the last claim read its options (a claim in flight does not see it). */
  private woken = false;
  /** The last claim was skipped for want of room (maxInFlight held): a written outcome wakes the loop. */
  private starved = false;
  /** Claims in a row that failed because the store was unavailable (backoff). */
  private outage = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private lastHousekeeping = 0;
  private lastLeaseExtension = 0;
  /** Provider calls in flight. */
  private readonly calls = new Tally();
  /** Outcomes on their way to the store. */
  private readonly settling = new Tally();

  constructor(deps: WorkerDeps) {
    this.d = deps;
    this.queue = deps.queue ?? deps.store.messages;
    this.owner = deps.owner ?? `w-${randomBytes(6).toString('hex')}`;
    this.completions = new CompletionWriter({
      store: deps.store,
      queue: this.queue,
      clock: deps.clock,
      onError: (err) => this.loopError('complete', err),
      onGiveUp: (lost) =>
        this.d.logger.error(
          { count: lost.length, ids: lost.slice(0, 20).map((c) => c.id) },
          'shutting down with outcomes the store never took: these messages stay leased and are sent again after the lease',
        ),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    // Other processes' new messages wake this worker at once (PostgreSQL NOTIFY); polling remains.
    if (this.d.listen === false) return;
    this.d.store
      .listen?.(() => this.wake())
      .then(
        (stop) => (this.running ? (this.unlisten = stop) : void stop()),
        (err: unknown) => this.loopError('listen', err),
      );
  }

  /** New work may be due (a message was accepted, a call finished). */
  wake(): void {
    this.woken = true;
    this.sleeping?.abort();
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
    const calls = this.calls.idle();
    let timer: Timer | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = this.d.clock.setTimer(() => r('timeout'), timeoutMs)));
    const first = await Promise.race([calls.then(() => 'done' as const), timeout]);
    timer?.cancel();
    if (first === 'timeout') {
      this.aborting = true;
      for (const lane of this.lanes.values()) lane.calls.abortAll(new Error('worker shutting down'));
      await calls;
    }
    for (const lane of this.lanes.values()) lane.timer?.cancel();
    // Outcomes the store has not taken yet get one more shutdown timeout to land.
    const closing = this.completions.close(timeoutMs);
    await this.settling.idle();
    await closing;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let full = false;
      try {
        await this.housekeeping();
        full = await this.claimNext();
        this.outage = 0;
      } catch (err) {
        if (isStoreUnavailable(err)) this.outage++;
        this.loopError('claim', err);
      }
      if (this.running && !full) await this.pause();
    }
  }

  /*
   * claimNext — claims and dispatches the next messages; true when it got all it asked for (claim
   * again at once). With one writer (SQLite) and outcomes on their way to the store, the claim
   * rides on their group commit (docs/decisions/0029); otherwise, or when no flush carries it,
   * the worker claims by itself.
   */
  private async claimNext(): Promise<boolean> {
    let asked = 0;
    const options = (): ClaimOptions | null => {
      // A wake-up from here on may concern messages this claim does not see: pause() honours it.
      this.woken = false;
      asked = Math.min(500, this.d.config.maxInFlight - this.inHand.size);
      // No room: the next outcome written makes some, and wakes the loop (settle).
      this.starved = asked <= 0;
      if (asked <= 0) return null;
      const now = this.d.clock.now();
      const excludeLanes = this.blockedLanes(now);
      return { owner: this.owner, limit: asked, now, leaseMs: this.d.config.leaseMs, excludeLanes };
    };
    let batch = await this.completions.claimAlong(options);
    if (batch === null) {
      const own = options();
      batch = own ? await this.queue.claim(own) : [];
    }
    for (const m of batch) this.dispatch(m);
    return asked > 0 && batch.length >= asked && !this.allLanesBlocked();
  }

  /*
   * After a full claim that left every lane full (or its breaker open), claiming again at once could
   * only skip their queued rows — a walk over the whole backlog of a busy lane that returns nothing
   * (decision 0029). The lanes are marked excluded instead, so the first one with room again wakes
   * the loop; the poll still finds lanes this worker does not hold yet.
   */
  private allLanesBlocked(): boolean {
    if (this.lanes.size === 0) return false;
    for (const lane of this.lanes.values()) if (!lane.full && lane.breaker.state !== 'open') return false;
    for (const lane of this.lanes.values()) lane.excluded = true;
    return true;
  }

  /** Waits pollMs (longer, doubling, while the store is unavailable), or until woken. */
  private async pause(): Promise<void> {
    // Woken while the claim was in flight: claim again now (a wake-up must not wait for the poll).
    if (this.woken && this.outage === 0) {
      this.woken = false;
      return;
    }
    const sleeping = (this.sleeping = new AbortController());
    await sleep(this.d.clock, outagePause(this.d.config.pollMs, this.outage), sleeping.signal);
    this.sleeping = null;
  }

  private async housekeeping(): Promise<void> {
    const now = this.d.clock.now();
    const reap = now - this.lastHousekeeping >= HOUSEKEEPING_MS && this.completions.keptCount === 0;
    // Our own leases are extended before any reaping: a loop slowed down past a lease (a busy
    // machine) must not put back in the queue the messages it holds, which would send them twice.
    if (this.inHand.size > 0 && (reap || now - this.lastLeaseExtension >= this.d.config.leaseMs / 3)) {
      this.lastLeaseExtension = now;
      // Only leases ending within half a lease are renewed: each renewal is a row write (decision 0034).
      const { leaseMs } = this.d.config;
      await this.queue.extendLeases([...this.inHand.keys()], this.owner, now + leaseMs, now + leaseMs / 2);
    }
    // While outcomes of ours wait for the store, our own expired leases must not be put back in
    // the queue (the messages were sent): reaping waits until they are written.
    if (reap) {
      this.lastHousekeeping = now;
      this.dropIdleLanes(now);
      const reaped = await this.queue.reapLeases(now);
      const expired = await this.queue.expireOverdue(now);
      if (reaped || expired) this.d.logger.info({ reaped, expired }, 'housekeeping');
    }
  }

  /** Forgets lanes with nothing to do for LANE_IDLE_MS (and their metric series); a lane with an open breaker stays. */
  private dropIdleLanes(now: number): void {
    for (const [key, lane] of this.lanes) {
      if (!lane.idleSince(now, LANE_IDLE_MS)) continue;
      this.lanes.delete(key);
      this.d.metrics.lanes.forget(key);
    }
  }

  /** Lanes in use (for tests and diagnostics). */
  get laneCount(): number {
    return this.lanes.size;
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
    lane.timer?.cancel();
    lane.timer = null;
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
      this.calls.add();
      void this.send(lane, batch);
    }
  }

  /** A call is over (its outcomes are on their way to the store): its slot serves the lane's next batch. */
  private callEnded(lane: Lane): void {
    lane.active--;
    this.d.metrics.lanes.ended(lane.key);
    this.calls.done();
    if (this.running || lane.buffer.length > 0) this.pump(lane);
    // Claim again only when a lane that was left out of claims (full) has room again: a claim
    // that skips a busy lane still walks that lane's queued rows, so it must not run per call.
    if (lane.excluded && lane.buffer.length <= lane.capacity / 2) {
      lane.excluded = false;
      this.wake();
    }
  }

  private later(lane: Lane, ms: number): void {
    lane.timer ??= this.d.clock.setTimer(() => {
      lane.timer = null;
      this.pump(lane);
    }, ms);
  }

  /*
   * send — one provider call for a batch of one lane, then its outcomes to the store. Hot path (one
   * call per webhook): no closure, Map or array beyond the completions when nothing is screened
   * out, and no timer of its own (the lane's CallDeadlines times it out). Never rejects.
   */
  private async send(lane: Lane, batch: Message[]): Promise<void> {
    try {
      const startedAt = this.d.clock.now();
      let blocked: Map<string, string> | undefined;
      try {
        if (this.d.screen) blocked = await this.d.screen(batch);
      } catch (err) {
        this.loopError('screen', err);
        await this.handBack(batch, startedAt + this.d.config.pollMs * 10, 'screening failed; will try again');
        return;
      }
      const completions: Completion[] = [];
      const live = this.unscreened(batch, blocked, startedAt, completions);
      let results: RoutedResult[] = [];
      if (live.length > 0) {
        const call = lane.calls.start();
        try {
          results = await this.d.router.deliver(lane.key, live, call.signal);
        } catch (err) {
          const reason = coerceError(err).message;
          results = live.map(() => ({ ok: false, retry: 'transient', blame: 'provider', reason, provider: lane.key }));
        } finally {
          call.done();
        }
      }
      this.decideAll(lane, live, results, startedAt, completions);
      // The call slot is free as soon as the provider answered; the outcome commits in the background
      // (grouped with others) while the messages stay in hand, their leases kept alive.
      void this.settle(completions, batch);
    } catch (err) {
      this.loopError('send', err);
    } finally {
      this.callEnded(lane);
    }
  }

  /*
   * The messages of a batch that may be sent: not screened out (preferences, suppression list),
   * not past not_after. The others are settled early (pushed to `completions`). The batch itself
   * when all may go (no copy).
   */
  private unscreened(
    batch: Message[],
    blocked: Map<string, string> | undefined,
    startedAt: number,
    completions: Completion[],
  ): Message[] {
    let live: Message[] | null = null;
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      const why = blocked?.get(m.id);
      const expired = !why && m.notAfter != null && m.notAfter < startedAt;
      if (!why && !expired) {
        live?.push(m);
        continue;
      }
      live ??= batch.slice(0, i);
      const to = why ? 'suppressed' : 'expired';
      const reason = why ?? 'not_after passed before it could be sent';
      completions.push({
        id: m.id,
        owner: this.owner,
        to,
        at: startedAt,
        countsAttempt: false,
        reason,
        event: { type: to, source: 'worker', detail: reason },
      });
    }
    return live ?? batch;
  }

  /** The outcome of each message sent (decide), recorded (observe) and pushed to `completions`. */
  private decideAll(
    lane: Lane,
    live: Message[],
    results: RoutedResult[],
    startedAt: number,
    completions: Completion[],
  ): void {
    const now = this.d.clock.now();
    const durationMs = now - startedAt;
    this.updateBreaker(lane, results);
    const observe = this.d.observe ?? observeAttempt;
    const ctx = { owner: this.owner, now, startedAt, durationMs, settings: lane.settings };
    for (let i = 0; i < live.length; i++) {
      const m = live[i]!;
      const r: RoutedResult = results[i] ?? {
        ok: false,
        retry: 'transient',
        blame: 'provider',
        reason: 'provider gave no result',
        provider: lane.key,
      };
      if (this.aborting && !r.ok) {
        completions.push(this.release(m, now, 'worker shut down during the call', false));
        continue;
      }
      const c = decide(m, r, ctx);
      completions.push(c);
      observe(this.d, m, r, c, durationMs);
    }
  }

  private updateBreaker(lane: Lane, results: RoutedResult[]): void {
    if (results.length === 0) return;
    if (results.some((r) => r.ok || r.blame === 'recipient')) lane.breaker.success();
    else if (results.every((r) => !r.ok && r.retry === 'transient')) lane.breaker.failure();
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
    await this.settle(
      messages.map((m) => this.release(m, dueAt, reason, false)),
      messages,
    );
  }

  private async releaseBuffered(): Promise<void> {
    const back = [...this.lanes.values()].flatMap((l) => l.buffer.splice(0));
    if (back.length > 0) await this.handBack(back, this.d.clock.now(), 'worker stopped');
  }

  /** Writes outcomes; the messages stay in hand (leases extended, counted against maxInFlight) until they land. */
  private async settle(completions: Completion[], held: readonly Message[]): Promise<void> {
    this.settling.add();
    try {
      await this.completions.write(completions);
      // Only the copy these outcomes were about: the commit that wrote them may have claimed the
      // message again (a retry due at once, claimed in the same transaction: docs/decisions/0029).
      for (const m of held) if (this.inHand.get(m.id) === m) this.inHand.delete(m.id);
      if (this.starved) {
        this.starved = false;
        this.wake();
      }
    } finally {
      this.settling.done();
    }
  }

  private loopError(loop: string, err: unknown): void {
    const e = coerceError(err);
    this.d.metrics.loopErrors.inc({ loop });
    this.d.logger.error({ err: e, loop }, 'worker loop error');
  }
}
