/**
 * Histograms as Herald stores them: counts per bucket, bucket i holding values ≤ bounds[i] (and
 * above bounds[i-1]); the last bound is Infinity. One definition for every latency figure Herald
 * shows (dashboard delivery latency, provider call latency), so they never disagree.
 */

/** The bucket a value falls in. */
export function bucketIndex(value: number, bounds: readonly number[]): number {
  const i = bounds.findIndex((b) => value <= b);
  return i < 0 ? bounds.length - 1 : i;
}

/**
 * The q-quantile (0..1) from bucket counts: linear interpolation inside the bucket that holds the
 * rank, as Prometheus' histogram_quantile does; the open last bucket answers its lower bound.
 * Null when there is nothing counted. Rounded to whole units.
 */
export function quantile(counts: readonly number[], bounds: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let seen = 0;
  let i = 0;
  // The first non-empty bucket whose cumulative count reaches the rank (one always does: rank ≤ total).
  for (; i < counts.length - 1; i++) {
    const n = counts[i]!;
    if (n > 0 && seen + n >= rank) break;
    seen += n;
  }
  const lo = i === 0 ? 0 : bounds[i - 1]!;
  const hi = bounds[i]!;
  if (!Number.isFinite(hi)) return lo;
  const n = counts[i]!;
  return Math.round(lo + (hi - lo) * ((rank - seen) / n));
}
