import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, LaneInFlight, MAX_WEBHOOK_LANES } from './metrics.ts';

const origin = (i: number) => `webhook:https://h${i}.example.com`;

test('webhook lanes beyond the 50 busiest fold into other; named lanes keep their names', () => {
  let now = 0;
  const lanes = new LaneInFlight(() => now);
  // 60 origins; origin i gets i+1 calls, two of each stay in flight.
  for (let i = 0; i < 60; i++) for (let c = 0; c <= i; c++) lanes.started(origin(i));
  for (let i = 0; i < 60; i++) for (let c = 0; c < i - 1; c++) lanes.ended(origin(i));
  lanes.started('email');
  now += 5 * 60_000; // a ranking window passes
  const snap = lanes.snapshot();
  assert.equal(snap.size, MAX_WEBHOOK_LANES + 2, '50 origins + other + email');
  assert.equal(snap.get('email'), 1);
  assert.ok(snap.has(origin(59)) && snap.has(origin(10)), 'the busiest keep their label');
  assert.ok(!snap.has(origin(9)) && !snap.has(origin(0)));
  // Origins 0..9 are folded: origin 0 has 1 in flight, 1..9 have 2 each.
  assert.equal(snap.get('other'), 1 + 9 * 2);
});

test('a lane that goes quiet for a whole window is dropped from the gauge', async () => {
  let now = 0;
  const lanes = new LaneInFlight(() => now);
  lanes.started(origin(1));
  lanes.ended(origin(1));
  assert.equal(lanes.snapshot().get(origin(1)), 0, 'idle but recent: shown as 0');
  now += 5 * 60_000;
  assert.equal(lanes.snapshot().get(origin(1)), 0, 'it had calls in the window that just ended');
  now += 5 * 60_000;
  assert.equal(lanes.snapshot().has(origin(1)), false, 'no call for a window: gone');

  const m = createMetrics();
  m.lanes.started('sms');
  assert.match(await m.registry.metrics(), /herald_lane_in_flight\{lane="sms"\} 1/);
});

test('process defaults carry no gauge named _total', async () => {
  const m = createMetrics({ defaults: true });
  const text = await m.registry.metrics();
  const gauges = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((x) => x[1]!);
  assert.ok(gauges.includes('herald_nodejs_active_handles'));
  assert.deepEqual(
    gauges.filter((g) => g.endsWith('_total')),
    [],
  );
});
