import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.ts';
import { coerceError } from '../../errors/app-error.ts';
import type { Metrics } from '../../metrics.ts';
import {
  emptyAggregate,
  KyselyProviderStatsRepo,
  LATENCY_BUCKETS_MS,
  type CallAggregate,
} from '../../store/provider-stats.repo.ts';
import type { Store } from '../../store/store.ts';
import type { DeliveryResult } from '../provider.ts';

const MINUTE = 60_000;
const FLUSH_MS = 1000;
const RETENTION_MS = 2 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

/** What one provider call did: how many messages, how each ended, how long it took. */
export interface CallRecord {
  provider: string;
  results: readonly DeliveryResult[];
  latencyMs: number;
  at: number;
}

export function bucketOf(latencyMs: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => latencyMs <= b);
  return i < 0 ? LATENCY_BUCKETS_MS.length - 1 : i;
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
  agg.latency[bucketOf(latencyMs)]!++;
}

/**
 * The q-quantile (0..1) of call latency from bucket counts, interpolating linearly inside the
 * bucket (as Prometheus' histogram_quantile does). Null when there were no calls; the open last
 * bucket answers its lower bound.
 */
export function quantile(latency: readonly number[], q: number): number | null {
  const total = latency.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < latency.length; i++) {
    const n = latency[i]!;
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const hi = LATENCY_BUCKETS_MS[i]!;
      if (!Number.isFinite(hi)) return lo;
      return Math.round(lo + (hi - lo) * ((rank - seen) / n));
    }
    seen += n;
  }
  return null;
}

/**
 * Provider call statistics. `record` is on the delivery hot path, so it only adds to in-memory
 * per-minute aggregates and Prometheus metrics; a timer flushes the deltas to provider_stats once
 * a second in one statement (additive upserts: many processes share the rows). Never throws: a
 * failed flush keeps its deltas for the next one.
 */
export class ProviderStats {
  private pending = new Map<string, { provider: string; minute: number; agg: CallAggregate }>();
  private readonly repo: KyselyProviderStatsRepo;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;

  constructor(deps: { store: Store; clock: Clock; metrics: Metrics; logger: Logger }) {
    this.repo = new KyselyProviderStatsRepo(deps.store.db);
    this.clock = deps.clock;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  record(call: CallRecord): void {
    const minute = Math.floor(call.at / MINUTE) * MINUTE;
    const key = `${call.provider}\u0000${minute}`;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { provider: call.provider, minute, agg: emptyAggregate() }));
    addCall(p.agg, call.results, call.latencyMs);
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

  /** Writes what was recorded since the last flush (serialised: one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    try {
      await this.repo.add([...batch.values()]);
      const now = this.clock.now();
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await this.repo.prune(now - RETENTION_MS);
      }
    } catch (err) {
      // Keep the deltas: merge them back so the next flush writes them.
      for (const [key, p] of batch) {
        const cur = this.pending.get(key);
        if (!cur) this.pending.set(key, p);
        else mergeInto(cur.agg, p.agg);
      }
      this.metrics.loopErrors.inc({ loop: 'provider_stats' });
      this.logger.error({ err: coerceError(err) }, 'provider stats flush failed');
    }
  }

  /** Per provider, sums over the minutes that overlap the last `windowMs` (whole minutes). */
  async window(windowMs: number): Promise<Map<string, CallAggregate>> {
    const now = this.clock.now();
    const since = Math.floor((now - windowMs) / MINUTE) * MINUTE;
    return this.repo.sumSince(since);
  }
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
