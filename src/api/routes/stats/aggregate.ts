import { DELIVERY_LATENCY_BUCKETS_MS } from '../../../store/migrations/0005-stats.ts';
import { quantile } from '../../../stats/quantile.ts';
import { COUNTERS, type Counter, type SeriesRow, type TotalsRow } from '../../../store/stats.repo.ts';

/** Pure shaping of stats rows for the API: dense series, totals, percentiles from bucket counts. */

export interface DenseSeries {
  key: string;
  accepted: number[];
  sent: number[];
  delivered: number[];
  failed: number[];
  retried: number[];
  segments: number[];
}

/** How many buckets bucketStarts(since, until, bucketMs) has, counted without making them. */
export function bucketCount(since: number, until: number, bucketMs: number): number {
  const first = since - (since % bucketMs);
  return until > first ? Math.ceil((until - first) / bucketMs) : 0;
}

/** Bucket starts from `since` (aligned down) to before `until`. Check bucketCount first: this builds them all. */
export function bucketStarts(since: number, until: number, bucketMs: number): number[] {
  const out: number[] = [];
  for (let t = since - (since % bucketMs); t < until; t += bucketMs) out.push(t);
  return out;
}

/** One array per counter and key, with a zero for every bucket without data (charts need no gaps). */
export function densify(rows: readonly SeriesRow[], starts: readonly number[]): DenseSeries[] {
  const index = new Map(starts.map((t, i) => [t, i]));
  const byKey = new Map<string, DenseSeries>();
  for (const r of rows) {
    const i = index.get(r.t);
    if (i === undefined) continue;
    let s = byKey.get(r.key);
    if (!s) {
      const zeros = () => starts.map(() => 0);
      s = {
        key: r.key,
        ...(Object.fromEntries(COUNTERS.map((c) => [c, zeros()])) as Record<Counter, number[]>),
      };
      byKey.set(r.key, s);
    }
    for (const c of COUNTERS) s[c][i]! += r[c];
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export interface LatencySummary {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export function summarize(buckets: readonly number[], sumMs: number): LatencySummary {
  const count = buckets.reduce((a, b) => a + b, 0);
  return {
    count,
    meanMs: count ? Math.round(sumMs / count) : null,
    p50Ms: quantile(buckets, DELIVERY_LATENCY_BUCKETS_MS, 0.5),
    p90Ms: quantile(buckets, DELIVERY_LATENCY_BUCKETS_MS, 0.9),
    p95Ms: quantile(buckets, DELIVERY_LATENCY_BUCKETS_MS, 0.95),
    p99Ms: quantile(buckets, DELIVERY_LATENCY_BUCKETS_MS, 0.99),
  };
}

export function zeroCounts(): Record<Counter, number> {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
}

export type Totals = Record<Counter, number> & { latency: LatencySummary };

/** Sums rows by a key (channel, provider, or one total). */
export function totalsBy(rows: readonly TotalsRow[], key: (r: TotalsRow) => string): Map<string, Totals> {
  const acc = new Map<string, { counts: Record<Counter, number>; buckets: number[]; sum: number }>();
  for (const r of rows) {
    const k = key(r);
    let a = acc.get(k);
    if (!a) {
      a = {
        counts: zeroCounts(),
        buckets: DELIVERY_LATENCY_BUCKETS_MS.map(() => 0),
        sum: 0,
      };
      acc.set(k, a);
    }
    for (const c of COUNTERS) a.counts[c] += r[c];
    r.latency.forEach((n, i) => (a.buckets[i]! += n));
    a.sum += r.latencyMsSum;
  }
  return new Map([...acc].map(([k, a]) => [k, { ...a.counts, latency: summarize(a.buckets, a.sum) }]));
}
