import type { Channel } from '../domain/message.ts';
/**
 * The campaign scheduler: a background loop that starts campaigns whose start has come, fans them
 * out page by page (resuming from the checkpoint after a restart), and finishes them when nothing
 * is left to send or their end has passed. On PostgreSQL one process leads, by a session advisory
 * lock; the others stand by and take over when the leader's connection goes.
 * Never throws: errors are logged, counted in herald_loop_errors_total{loop="scheduler"}, and the
 * loop carries on.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../domain/clock.ts';
import { coerceError } from '../errors/app-error.ts';
import { isStoreUnavailable } from '../store/faults.ts';
import { outagePause } from '../queue/backoff.ts';
import type { Metrics } from '../metrics.ts';
import type { LeaderLease } from '../store/campaigns.repo.ts';
import type { Store } from '../store/store.ts';
import { fanoutPage, type ReadAhead } from './fanout.ts';
import type { Campaign } from './model.ts';

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Counts fanned-out messages as accepted (metrics, dashboard), like Ingest does for API messages. */
  onAccepted?: ((channel: Channel, provider: string | undefined, n: number, segments: number) => void) | undefined;
  /** Attempt budget of a campaign's messages: a number, or per channel and provider (MessageService.defaultMaxAttempts). */
  maxAttempts: number | ((channel: Channel, provider?: string) => number);
  /** Idle poll interval (on the clock). */
  tickMs?: number | undefined;
  pageSize?: number | undefined;
  /** Longest SMS in parts (HERALD_SMS_MAX_SEGMENTS): a contact's longer text fails its message. */
  smsMaxSegments?: number | undefined;
  /** How long one pass may fan out before it yields to the next pass (real time). */
  budgetMs?: number | undefined;
  /** Called after a page of messages is written (wakes the worker). */
  onMessages?: (() => void) | undefined;
}

/** What one pass did: for logs and tests. */
export interface PassReport {
  leader: boolean;
  started: string[];
  finished: string[];
  written: number;
  /** Fan-out left over for the next pass (budget spent). */
  more: boolean;
}

const LOCK_NAME = 'campaign-scheduler';

export class CampaignScheduler {
  private budget(c: { channel: Channel; provider: string | null }): number {
    const m = this.d.maxAttempts;
    return typeof m === 'number' ? m : m(c.channel, c.provider ?? undefined);
  }

  private readonly d: SchedulerDeps;
  private lease: LeaderLease | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: Timer | undefined;
  private running = false;
  private stopping = false;
  /** Passes in a row that failed because the store was unavailable (backoff). */
  private outage = 0;

  constructor(deps: SchedulerDeps) {
    this.d = deps;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Runs a pass soon (a campaign was created or changed). */
  kick(): void {
    if (this.running && !this.stopping) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    this.timer?.cancel();
    await this.chain.catch(() => undefined);
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release().catch(() => undefined);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.d.clock
      .setTimer(() => {
        this.timer = undefined;
        void this.tick().then((r) => {
          if (this.running) this.schedule(r.more ? 0 : outagePause(this.d.tickMs ?? 500, this.outage));
        });
      }, ms)
      .unref();
  }

  /** One pass, serialised with any other; never rejects. */
  tick(): Promise<PassReport> {
    const next = this.chain.then(() => this.pass());
    this.chain = next.catch(() => undefined);
    return next.then(
      (report) => {
        this.outage = 0;
        return report;
      },
      (err: unknown) => {
        if (isStoreUnavailable(err)) this.outage++;
        this.fail(err, 'scheduler pass failed');
        return { leader: false, started: [], finished: [], written: 0, more: false };
      },
    );
  }

  private fail(err: unknown, what: string): void {
    this.d.logger.error({ err: coerceError(err) }, what);
    this.d.metrics?.loopErrors.inc({ loop: 'scheduler' });
  }

  private async lead(): Promise<boolean> {
    if (this.lease && !(await this.lease.alive())) {
      // Its connection died and the server dropped the lock with it: another process may lead now.
      this.d.logger.warn('scheduler lost its leader lock (its connection ended); trying to lead again');
      const lost = this.lease;
      this.lease = undefined;
      await lost.release().catch(() => undefined);
    }
    if (!this.lease && !this.stopping) {
      this.lease = await this.d.store.campaigns.tryLead(LOCK_NAME);
      if (this.lease) this.d.logger.info('scheduler leads');
    }
    return this.lease !== undefined;
  }

  private async pass(): Promise<PassReport> {
    const report: PassReport = { leader: false, started: [], finished: [], written: 0, more: false };
    if (!(await this.lead())) return report;
    report.leader = true;
    const now = this.d.clock.now();
    for (const c of await this.d.store.campaigns.dueToStart(now)) {
      const to = c.endAt <= now ? 'finished' : 'running';
      if (await this.d.store.campaigns.transition(c.id, ['scheduled'], to, now)) {
        (to === 'running' ? report.started : report.finished).push(c.id);
        this.d.logger.info(
          { campaign: c.id },
          to === 'running' ? 'campaign started' : 'campaign ended before it started',
        );
      }
    }
    const deadline = performance.now() + (this.d.budgetMs ?? 1000);
    for (const c of await this.d.store.campaigns.live()) {
      try {
        await this.advance(c, now, deadline, report);
      } catch (err) {
        this.fail(err, `campaign ${c.id}: pass failed`);
      }
    }
    return report;
  }

  /** Ends, fans out, or finishes one running or paused campaign. */
  private async advance(c: Campaign, now: number, deadline: number, report: PassReport): Promise<void> {
    const { store } = this.d;
    if (c.endAt <= now) {
      // Nothing goes out after the end: queued messages expire now (the worker would, too).
      const expired = await store.campaigns.settleQueued(
        c.id,
        'expired',
        now,
        'the campaign ended before it could be sent',
      );
      if (await store.campaigns.transition(c.id, ['running', 'paused'], 'finished', now)) {
        report.finished.push(c.id);
        this.d.logger.info({ campaign: c.id, expired }, 'campaign ended');
      }
      return;
    }
    if (c.state !== 'running') return;
    let done = c.fanoutDone;
    const deps = {
      store,
      clock: this.d.clock,
      maxAttempts: this.budget(c),
      pageSize: this.d.pageSize,
      smsMaxSegments: this.d.smsMaxSegments,
    };
    let ahead: ReadAhead | undefined;
    while (!done) {
      // A page read ahead when the budget runs out is dropped: the next pass reads it again.
      if (performance.now() > deadline || this.stopping) {
        report.more = true;
        return;
      }
      const step = await fanoutPage(deps, c.id, ahead);
      if (step.kind !== 'written') return;
      ahead = step.ahead;
      report.written += step.messages;
      this.d.onAccepted?.(c.channel, c.provider ?? undefined, step.messages, step.segments);
      if (step.messages > step.expired + step.failed) this.d.onMessages?.();
      done = step.done;
    }
    if ((await store.campaigns.pendingCount(c.id)) === 0 && (await this.awaitingReceipts(c.id)) === 0) {
      if (await store.campaigns.transition(c.id, ['running'], 'finished', now)) {
        report.finished.push(c.id);
        this.d.logger.info({ campaign: c.id }, 'campaign finished');
      }
    }
  }

  private async awaitingReceipts(id: string): Promise<number> {
    return (await this.d.store.campaigns.countByState([id])).get(id)?.sent ?? 0;
  }
}
