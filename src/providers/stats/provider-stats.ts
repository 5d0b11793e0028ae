import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.ts';
import type { Metrics } from '../../metrics.ts';
import { emptyAggregate, LATENCY_BUCKETS_MS, type CallAggregate } from '../../store/provider-stats.repo.ts';
import type { Store } from '../../store/store.ts';
import { MINUTE_MS, MinuteAggregator } from '../../stats/minute-aggregator.ts';
import { bucketIndex } from '../../stats/quantile.ts';
import type { DeliveryResult } from '../provider.ts';

const RETENTION_MS = 2 * 24 * 3600_000;

/** What one provider call did: how many messages, how each ended, how long it took. */
export interface CallRecord {
  provider: string;
  results: readonly DeliveryResult[];
  latencyMs: number;
  at: number;
}

/** Adds one call to an aggregate. */
export function addCall(agg: CallAggregate, results: readonly DeliveryResult[], latencyMs: number): void {
  agg.calls++;
  agg.messages += results.length;
  for (const r of results) {
    if (r.ok) agg.ok++;
    else if (r.retry === 'transient') agg.transient++;
    else agg.permanent++;
  }
  agg.latencyMsSum += latencyMs;
  agg.latency[bucketIndex(latencyMs, LATENCY_BUCKETS_MS)]!++;
}

function mergeInto(a: CallAggregate, b: CallAggregate): void {
  a.calls += b.calls;
  a.messages += b.messages;
  a.ok += b.ok;
  a.transient += b.transient;
  a.permanent += b.permanent;
  a.latencyMsSum += b.latencyMsSum;
  b.latency.forEach((n, i) => (a.latency[i]! += n));
}

type Cell = { provider: string; minute: number; agg: CallAggregate };

/**
 * Provider call statistics. `record` is on the delivery hot path, so it only adds to the in-memory
 * per-minute cells (MinuteAggregator, flushed once a second into provider_stats) and to the
 * Prometheus metrics.
 */
export class ProviderStats {
  private readonly cells: MinuteAggregator<Cell>;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly metrics: Metrics;

  constructor(deps: { store: Store; clock: Clock; metrics: Metrics; logger: Logger }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.metrics = deps.metrics;
    const repo = deps.store.providerStats;
    this.cells = new MinuteAggregator<Cell>({
      name: 'provider stats',
      clock: deps.clock,
      logger: deps.logger,
      onError: () => deps.metrics.loopErrors.inc({ loop: 'provider_stats' }),
      merge: (into, from) => mergeInto(into.agg, from.agg),
      sink: { add: (cells) => repo.add(cells), prune: (now) => repo.prune(now - RETENTION_MS) },
    });
  }

  start(): void {
    this.cells.start();
  }

  stop(): Promise<void> {
    return this.cells.stop();
  }

  /** Writes what was recorded since the last flush (serialised: one flush at a time). */
  flush(): Promise<void> {
    return this.cells.flush();
  }

  record(call: CallRecord): void {
    const cell = this.cells.cell(
      call.provider,
      (minute) => ({ provider: call.provider, minute, agg: emptyAggregate() }),
      call.at,
    );
    addCall(cell.agg, call.results, call.latencyMs);
    const counts = { ok: 0, transient: 0, permanent: 0 };
    for (const r of call.results) counts[r.ok ? 'ok' : r.retry]++;
    const outcome =
      counts.ok === call.results.length
        ? 'ok'
        : counts.ok > 0
          ? 'partial'
          : counts.transient > 0
            ? 'transient'
            : 'permanent';
    this.metrics.providerCalls.inc({ provider: call.provider, outcome });
    for (const [o, n] of Object.entries(counts))
      if (n > 0) this.metrics.providerMessages.inc({ provider: call.provider, outcome: o }, n);
    this.metrics.providerCallSeconds.observe({ provider: call.provider }, call.latencyMs / 1000);
  }

  /** Per provider, sums over the minutes that overlap the last `windowMs` (whole minutes). */
  async window(windowMs: number): Promise<Map<string, CallAggregate>> {
    const since = Math.floor((this.clock.now() - windowMs) / MINUTE_MS) * MINUTE_MS;
    return this.store.providerStats.sumSince(since);
  }
}
