import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import { DELIVERY_LATENCY_BUCKETS_MS } from '../store/migrations/0005-stats.ts';
import type { StatsDelta } from '../store/stats.repo.ts';
import { MINUTE_MS, MinuteAggregator } from './minute-aggregator.ts';
import { bucketIndex } from './quantile.ts';

/** Where flushed counters go (StatsRepo in production). */
export interface StatsSink {
  add(deltas: readonly StatsDelta[]): Promise<void>;
  /** Deletes minutes before `minutesBefore` and hours before `hoursBefore` (retention). */
  prune?(minutesBefore: number, hoursBefore: number): Promise<number>;
}

/** What the worker decided for one message, as the dashboard counts it. */
export type Outcome = 'sent' | 'delivered' | 'failed' | 'retried';

/** Minutes are kept 35 days (the API serves at most a day by minute), the hourly rollup 400 days. */
const MINUTES_KEPT_MS = 35 * 24 * 3_600_000;
const HOURS_KEPT_MS = 400 * 24 * 3_600_000;

function mergeDelta(c: StatsDelta, d: StatsDelta): void {
  c.accepted += d.accepted;
  c.sent += d.sent;
  c.delivered += d.delivered;
  c.failed += d.failed;
  c.retried += d.retried;
  c.segments += d.segments;
  c.latencyMsSum += d.latencyMsSum;
  d.latency.forEach((n, i) => (c.latency[i]! += n));
}

/**
 * The dashboard's message counters per (minute, channel, provider), aggregated in memory and
 * flushed every `flushMs` (MinuteAggregator) into stats_minute / stats_hour.
 */
export class StatsRecorder {
  private readonly agg: MinuteAggregator<StatsDelta>;
  private readonly clock: Clock;
  /** The last cell counted into: a worker counts one (channel, provider) over and over. */
  private last: { channel: string; provider: string; minute: number; generation: number; cell: StatsDelta } | null =
    null;

  constructor(deps: { sink: StatsSink; clock: Clock; logger?: Logger; flushMs?: number; onError?: () => void }) {
    const { sink } = deps;
    this.clock = deps.clock;
    this.agg = new MinuteAggregator<StatsDelta>({
      name: 'stats',
      clock: deps.clock,
      logger: deps.logger,
      flushMs: deps.flushMs,
      onError: deps.onError,
      merge: mergeDelta,
      sink: {
        add: (cells) => sink.add(cells),
        prune: sink.prune && ((now) => sink.prune!(now - MINUTES_KEPT_MS, now - HOURS_KEPT_MS)),
      },
    });
  }

  start(): void {
    this.agg.start();
  }

  /** Stops the timer and writes what is left. */
  stop(): Promise<void> {
    return this.agg.stop();
  }

  /** Writes the counts gathered so far (one flush at a time). */
  flush(): Promise<void> {
    return this.agg.flush();
  }

  /** `n` messages committed by ingestion, taking `segments` SMS parts in all. */
  accepted(channel: string, provider: string, n = 1, segments = 0): void {
    const c = this.cell(channel, provider);
    c.accepted += n;
    c.segments += segments;
  }

  /**
   * A worker completion. `latencyMs` (accepted → handed over) is recorded for sent/delivered.
   */
  completed(channel: string, provider: string, outcome: Outcome, latencyMs?: number): void {
    const c = this.cell(channel, provider);
    c[outcome]++;
    if ((outcome === 'sent' || outcome === 'delivered') && latencyMs !== undefined) {
      const ms = Math.max(0, Math.round(latencyMs));
      c.latencyMsSum += ms;
      c.latency[bucketIndex(ms, DELIVERY_LATENCY_BUCKETS_MS)]!++;
    }
  }

  /*
   * The cell of (this minute, channel, provider). The hot path (a completion per delivery) hits
   * `last` and builds no key string and no closure; it is valid while the minute and the
   * aggregator's generation (no flush took the pending cells since) are the same.
   */
  private cell(channel: string, provider: string): StatsDelta {
    const now = this.clock.now();
    const minute = now - (now % MINUTE_MS);
    const l = this.last;
    if (
      l !== null &&
      l.minute === minute &&
      l.generation === this.agg.generation &&
      l.channel === channel &&
      l.provider === provider
    )
      return l.cell;
    const cell = this.newCell(channel, provider, now);
    this.last = { channel, provider, minute, generation: this.agg.generation, cell };
    return cell;
  }

  private newCell(channel: string, provider: string, now: number): StatsDelta {
    return this.agg.cell(
      `${channel}\u0000${provider}`,
      (minute) => ({
        minute,
        channel,
        provider,
        accepted: 0,
        sent: 0,
        delivered: 0,
        failed: 0,
        retried: 0,
        segments: 0,
        latencyMsSum: 0,
        latency: DELIVERY_LATENCY_BUCKETS_MS.map(() => 0),
      }),
      now,
    );
  }
}
