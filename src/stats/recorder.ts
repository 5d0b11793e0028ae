import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import { coerceError } from '../errors/app-error.ts';
import { DELIVERY_LATENCY_BUCKETS_MS } from '../store/migrations/0005-stats.ts';
import type { StatsDelta } from '../store/stats.repo.ts';

/** Where flushed counters go (StatsRepo in production). */
export interface StatsSink {
  add(deltas: readonly StatsDelta[]): Promise<void>;
  /** Deletes minutes before `minutesBefore` and hours before `hoursBefore` (retention). */
  prune?(minutesBefore: number, hoursBefore: number): Promise<number>;
}

/** What the worker decided for one message, as the dashboard counts it. */
export type Outcome = 'sent' | 'delivered' | 'failed' | 'retried';

const MINUTE = 60_000;
/** Cells kept in memory while the database refuses flushes; beyond that, the oldest counts are dropped. */
const MAX_PENDING = 50_000;
/** Minutes are kept 35 days (the API serves at most a day by minute), the hourly rollup 400 days. */
const MINUTES_KEPT_MS = 35 * 24 * 3_600_000;
const HOURS_KEPT_MS = 400 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Aggregates message counters in memory per (minute, channel, provider) and flushes them every
 * `flushMs` in one upsert, so ingestion and delivery never pay a write per message for statistics.
 * Counters are best-effort: a crash loses at most the last interval. A failing flush keeps its
 * counts and tries again; it never throws (background loop).
 */
export class StatsRecorder {
  private readonly sink: StatsSink;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly flushMs: number;
  private pending = new Map<string, StatsDelta>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;

  constructor(deps: { sink: StatsSink; clock: Clock; logger?: Logger; flushMs?: number }) {
    this.sink = deps.sink;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.flushMs = deps.flushMs ?? 1000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
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
      const i = DELIVERY_LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
      c.latency[i]!++;
    }
  }

  /** Writes the counts gathered so far (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const now = this.clock.now();
    if (this.sink.prune && now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.sink.prune(now - MINUTES_KEPT_MS, now - HOURS_KEPT_MS).catch((err: unknown) => {
        this.logger?.warn({ err: coerceError(err) }, 'stats prune failed');
      });
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.sink.add([...batch.values()]);
    } catch (err) {
      this.logger?.warn({ err: coerceError(err) }, 'stats flush failed; will retry');
      for (const [k, d] of batch) this.merge(k, d);
    }
  }

  private merge(key: string, d: StatsDelta): void {
    const c = this.pending.get(key);
    if (!c) {
      if (this.pending.size < MAX_PENDING) this.pending.set(key, d);
      return;
    }
    c.accepted += d.accepted;
    c.sent += d.sent;
    c.delivered += d.delivered;
    c.failed += d.failed;
    c.retried += d.retried;
    c.segments += d.segments;
    c.latencyMsSum += d.latencyMsSum;
    d.latency.forEach((n, i) => (c.latency[i]! += n));
  }

  private cell(channel: string, provider: string): StatsDelta {
    const minute = Math.floor(this.clock.now() / MINUTE) * MINUTE;
    const key = `${minute}\u0000${channel}\u0000${provider}`;
    let c = this.pending.get(key);
    if (!c) {
      c = {
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
      };
      this.pending.set(key, c);
    }
    return c;
  }
}
