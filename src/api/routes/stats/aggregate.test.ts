import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketCount, bucketStarts, densify, summarize, totalsBy } from './aggregate.ts';
import { quantile } from '../../../stats/quantile.ts';
import { DELIVERY_LATENCY_BUCKETS_MS } from '../../../store/migrations/0005-stats.ts';

const percentile = (b: number[], q: number) => quantile(b, DELIVERY_LATENCY_BUCKETS_MS, q);
const zeros = () => DELIVERY_LATENCY_BUCKETS_MS.map(() => 0);

void test('bucketCount is the length of bucketStarts, without making them', () => {
  for (const [since, until, ms] of [
    [125_000, 300_000, 60_000],
    [120_000, 180_000, 60_000],
    [120_000, 180_001, 60_000],
    [300_000, 300_000, 60_000],
    [400_000, 300_000, 60_000],
    [-125_000, 300_000, 60_000],
  ] as const)
    assert.equal(bucketCount(since, until, ms), bucketStarts(since, until, ms).length, `${since}..${until}`);
  const years = bucketCount(Date.parse('0001-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'), 60_000);
  assert.ok(years > 1440 * 365 * 2000, String(years));
});

void test('bucketStarts aligns down and stops before until', () => {
  assert.deepEqual(bucketStarts(125_000, 300_000, 60_000), [120_000, 180_000, 240_000]);
});

void test('densify fills gaps with zeros per key and ignores rows outside the window', () => {
  const row = (t: number, key: string, accepted: number) => ({
    t,
    key,
    accepted,
    sent: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    segments: 0,
  });
  const s = densify(
    [row(60_000, 'sms', 2), row(180_000, 'email', 5), row(999_999, 'email', 7)],
    [0, 60_000, 120_000, 180_000],
  );
  assert.deepEqual(
    s.map((x) => x.key),
    ['email', 'sms'],
  );
  assert.deepEqual(s[0]!.accepted, [0, 0, 0, 5]);
  assert.deepEqual(s[1]!.accepted, [0, 2, 0, 0]);
});

void test('percentile interpolates inside the bucket that holds the rank', () => {
  const b = zeros();
  b[0] = 50; // ≤ 100 ms
  b[1] = 50; // 100–250 ms
  assert.equal(percentile(b, 0.5), 100);
  assert.equal(percentile(b, 0.75), 175);
  assert.equal(percentile(zeros(), 0.5), null);
  const open = zeros();
  open[open.length - 1] = 3;
  assert.equal(percentile(open, 0.99), 3_600_000, 'the open bucket answers its lower bound');
});

void test('summarize and totalsBy add rows and estimate percentiles', () => {
  const lat = zeros();
  lat[2] = 4; // 250–500 ms
  const r = {
    channel: 'sms',
    provider: 'a',
    accepted: 3,
    sent: 2,
    delivered: 1,
    failed: 1,
    retried: 0,
    segments: 4,
    latencyMsSum: 1600,
    latency: lat,
  };
  const t = totalsBy([r, { ...r, provider: 'b' }], (x) => x.channel).get('sms')!;
  assert.equal(t.accepted, 6);
  assert.equal(t.segments, 8);
  assert.equal(t.latency.count, 8);
  assert.equal(t.latency.meanMs, 400);
  assert.equal(t.latency.p50Ms, 375);
  assert.equal(summarize(zeros(), 0).meanMs, null);
});
