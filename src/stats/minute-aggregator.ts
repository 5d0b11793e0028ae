import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import { coerceError } from '../errors/app-error.ts';

export const MINUTE_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Cells kept in memory while the database refuses flushes; beyond that, new cells are dropped. */
const MAX_PENDING = 50_000;

/** Where one aggregator's cells go: additive upserts (any number of processes add to the same rows). */
export interface CellSink<C> {
  add(cells: readonly C[]): Promise<void>;
  /** Deletes what retention no longer keeps (called at most hourly). */
  prune?(now: number): Promise<unknown>;
}

export interface AggregatorOptions<C> {
  /** For logs and herald_loop_errors_total{loop}. */
  name: string;
  sink: CellSink<C>;
  clock: Clock;
  /** Adds `from`'s counts into `into` (a failed flush's cells merge back into newer ones). */
  merge(into: C, from: C): void;
  logger?: Logger | undefined;
  onError?: (() => void) | undefined;
  flushMs?: number | undefined;
}

/**
 * Counts in memory per (minute, key) cell and flushes all cells every `flushMs` in one sink call,
 * so the hot paths (ingestion, delivery, provider calls) never pay a write per event. Best-effort:
 * a crash loses at most the last interval. A failing flush keeps its cells and tries again; it never
 * throws (a background loop: it logs and counts instead). The one per-minute aggregator behind the
 * dashboard counters (StatsRecorder) and the provider call statistics (ProviderStats).
 */
export class MinuteAggregator<C> {
  private readonly o: AggregatorOptions<C>;
  private pending = new Map<string, C>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  /** Bumped each time the pending cells are handed to a flush: a cell held since is no longer counted. */
  generation = 0;

  constructor(opts: AggregatorOptions<C>) {
    this.o = opts;
  }

  /** The cell of `key` in the minute of `at` (default now), made by `make(minute)` when new. */
  cell(key: string, make: (minute: number) => C, at = this.o.clock.now()): C {
    const minute = at - (at % MINUTE_MS);
    const k = `${minute}\u0000${key}`;
    let c = this.pending.get(k);
    if (!c) {
      c = make(minute);
      if (this.pending.size < MAX_PENDING) this.pending.set(k, c);
    }
    return c;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.o.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes the cells gathered so far (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const now = this.o.clock.now();
    if (this.o.sink.prune && now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.o.sink.prune(now).catch((err: unknown) => this.failed(err, 'prune'));
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.generation++;
    try {
      await this.o.sink.add([...batch.values()]);
    } catch (err) {
      this.failed(err, 'flush; will retry');
      for (const [k, c] of batch) {
        const cur = this.pending.get(k);
        if (cur) this.o.merge(cur, c);
        else if (this.pending.size < MAX_PENDING) this.pending.set(k, c);
      }
    }
  }

  private failed(err: unknown, what: string): void {
    this.o.onError?.();
    this.o.logger?.warn({ err: coerceError(err) }, `${this.o.name} ${what} failed`);
  }
}
