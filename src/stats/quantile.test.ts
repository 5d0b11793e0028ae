import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELIVERY_LATENCY_BUCKETS_MS } from '../store/migrations/0005-stats.ts';
import { LATENCY_BUCKETS_MS } from '../store/migrations/0002-providers.ts';
import { bucketIndex, quantile } from './quantile.ts';

test('quantile interpolates inside the bucket that holds the rank; open bucket answers its lower bound', () => {
  const b = [5, 10, 25, 50, 100, Infinity];
  const calls = [10, 0, 0, 0, 10, 0]; // 10 calls ≤ 5 ms, 10 in (50, 100]
  assert.equal(quantile(calls, b, 0.5), 5);
  assert.equal(quantile(calls, b, 0.75), 75);
  assert.equal(quantile(calls, b, 1), 100);
  assert.equal(quantile([0, 0, 0, 0, 0, 3], b, 0.99), 100, 'the open last bucket answers its lower bound');
  assert.equal(quantile([0, 0, 0, 0, 0, 0], b, 0.5), null);
  assert.equal(quantile([0, 4, 0, 0, 0, 0], b, 0), 5, 'q=0: the start of the first non-empty bucket');
});

test('both latency histograms answer the same way for the same data (they used to disagree)', () => {
  // The same call latencies (ms) counted in each table's buckets give quantiles in the same bucket.
  const samples = [3, 40, 40, 90, 200, 2000, 20_000, 90_000];
  for (const bounds of [LATENCY_BUCKETS_MS, DELIVERY_LATENCY_BUCKETS_MS]) {
    const counts = bounds.map(() => 0);
    for (const s of samples) counts[bucketIndex(s, bounds)]!++;
    for (const q of [0.5, 0.95, 0.99, 1]) {
      const v = quantile(counts, bounds, q)!;
      const rankValue = [...samples].sort((x, y) => x - y)[Math.ceil(q * samples.length) - 1]!;
      const i = bucketIndex(rankValue, bounds);
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      assert.ok(v >= lo && v <= bounds[i]!, `q=${q}: ${v} within the bucket of ${rankValue} (${lo}, ${bounds[i]}]`);
    }
  }
  // Past the last finite bound both answer that bound, never null.
  assert.equal(quantile([0, 0, 1], [10, 20, Infinity], 1), 20);
});
