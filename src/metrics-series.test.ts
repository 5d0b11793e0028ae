import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './metrics.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Below, on and above bounds, beyond the last one, and zero.
const VALUES = [0, 0.0004, 0.001, 0.0011, 0.02, 0.25, 0.2500001, 3, 10, 11, 42.5];

test("SeriesCounter and SeriesHistogram expose exactly prom-client's text and JSON", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const c = new SeriesCounter<'route' | 'method' | 'status'>(ours, 'x_requests_total', 'Requests');
  const h = new SeriesHistogram<'route' | 'method'>(ours, 'x_seconds', 'Seconds', BUCKETS);
  const pc = new Counter({
    name: 'x_requests_total',
    help: 'Requests',
    labelNames: ['route', 'method', 'status'],
    registers: [theirs],
  });
  const ph = new Histogram({
    name: 'x_seconds',
    help: 'Seconds',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const sets = [
    { route: '/v1/messages', method: 'POST', status: '202' },
    { route: '/v1/messages/:id', method: 'GET', status: '404' },
    { route: 'a "quoted" \\ route', method: 'GET', status: '200' },
  ];
  for (const [k, l] of sets.entries()) {
    const timed = { route: l.route, method: l.method };
    for (const v of VALUES.slice(k)) {
      c.series(l).value++;
      pc.inc(l);
      h.series(timed).observe(v);
      ph.observe(timed, v);
    }
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // Exemplars are off: prom-client's JSON carries them as null/undefined, ours leaves them out.
  const plain = async (reg: Registry) =>
    JSON.parse(JSON.stringify(await reg.getMetricsAsJSON(), (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
  assert.deepEqual(await plain(ours), await plain(theirs));
});

test('a label set keeps one series: equal label objects count together', async () => {
  const r = new Registry();
  const c = new SeriesCounter<'route'>(r, 'y_total', 'Y');
  c.series({ route: '/a' }).value++;
  c.series({ route: '/a' }).value += 2;
  c.series({ route: '/b' }).value++;
  assert.match(await r.metrics(), /y_total\{route="\/a"\} 3\ny_total\{route="\/b"\} 1/);
});
