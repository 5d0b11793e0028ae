import type { Logger } from 'pino';
import { retentionDaysOf, type RetentionPolicy } from '../config/retention.ts';
import { sleep, type Clock, type Timer } from '../domain/clock.ts';
import { CHANNELS } from '../domain/message.ts';
import { coerceError } from '../errors/app-error.ts';
import type { Metrics } from '../metrics.ts';
import { addCounts, NO_ROWS, type PurgeCounts } from '../store/purge.ts';
import type { Store } from '../store/store.ts';

const DAY_MS = 86_400_000;

/**
 * Rows of other tables with their own age limit, purged once per run with the default cutoff:
 * the audit log (which keeps 90 days whatever is asked), and event deliveries once they land.
 */
export interface Purger {
  /** The table, for the metric and the log. */
  name: string;
  /** Deletes rows older than `before` (ms); answers how many. */
  purgeOlderThan(before: number, now: number): Promise<number>;
}

export interface RetentionOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'retentionPurged' | 'loopErrors'>;
  policy: RetentionPolicy;
  purgers?: readonly Purger[] | undefined;
  /** Messages per batch (one short transaction each). */
  batchSize?: number | undefined;
  /**
   * Share of wall time the purge may spend in the database while it has work: after a batch that
   * took t ms it rests t × (1 / share − 1) ms, so writers (ingest, the worker) always get the rest.
   */
  share?: number | undefined;
  /** Time between runs once nothing is left to purge. */
  intervalMs?: number | undefined;
}

/**
 * Retention (HERALD_RETENTION_DAYS, per-channel `retention:` in the providers file): final
 * messages older than their channel's limit, with their attempts and events, deleted in small
 * batches by the worker role. Concurrent purges (several workers) are harmless: each batch deletes
 * what it finds and counts what it really deleted (PostgreSQL: batches skip each other's rows).
 * The dashboard's counters live in stats_minute/stats_hour and are untouched. Never throws: a
 * failed run is logged, counted (herald_loop_errors_total{loop="retention"}) and tried again later.
 */
export class RetentionJob {
  private readonly o: RetentionOptions;
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();

  constructor(opts: RetentionOptions) {
    this.o = opts;
  }

  start(): void {
    if (this.timer || this.abort.signal.aborted) return;
    this.schedule(Math.min(60_000, this.o.intervalMs ?? 600_000));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock
      .setTimer(() => {
        this.running = this.runOnce().then(
          () => undefined,
          () => undefined,
        );
        void this.running.then(() => {
          if (!this.abort.signal.aborted) this.schedule(this.o.intervalMs ?? 600_000);
        });
      }, ms)
      .unref();
  }

  /** Purges everything due now, batch by batch; answers what went. Never throws. */
  async runOnce(): Promise<PurgeCounts & { other: Record<string, number> }> {
    const started = this.o.clock.now();
    let total = NO_ROWS;
    const other: Record<string, number> = {};
    try {
      for (const channel of CHANNELS) {
        const days = retentionDaysOf(this.o.policy, channel);
        if (days === 0) continue;
        total = addCounts(total, await this.purgeChannel(channel, this.o.clock.now() - days * DAY_MS));
      }
      if (this.o.policy.days > 0) {
        for (const p of this.o.purgers ?? []) {
          const n = await p.purgeOlderThan(this.o.clock.now() - this.o.policy.days * DAY_MS, this.o.clock.now());
          other[p.name] = n;
          if (n > 0) this.o.metrics.retentionPurged.inc({ table: p.name }, n);
        }
      }
    } catch (err) {
      this.o.metrics.loopErrors.inc({ loop: 'retention' });
      this.o.logger.warn({ err: coerceError(err), purged: total }, 'retention run failed; trying again later');
    }
    if (total.messages > 0 || Object.values(other).some((n) => n > 0)) {
      this.o.logger.info({ purged: total, other, ms: this.o.clock.now() - started }, 'retention purged old messages');
    }
    return { ...total, other };
  }

  /** One channel, batch after batch until none is left (bounded: each batch deletes what it counts). */
  private async purgeChannel(channel: string, before: number): Promise<PurgeCounts> {
    const limit = this.o.batchSize ?? 500;
    const share = this.o.share ?? 0.1;
    let total = NO_ROWS;
    while (!this.abort.signal.aborted) {
      const t0 = performance.now();
      const r = await this.o.store.retention.purgeBatch({ before, channel, limit });
      total = addCounts(total, r);
      for (const table of ['messages', 'attempts', 'events'] as const)
        if (r[table] > 0) this.o.metrics.retentionPurged.inc({ table }, r[table]);
      if (r.messages < limit) break;
      const rest = (performance.now() - t0) * (1 / share - 1);
      if (rest >= 1) await sleep(this.o.clock, rest, this.abort.signal);
    }
    return total;
  }
}
