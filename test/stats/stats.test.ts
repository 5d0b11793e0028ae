import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore } from '../helpers/stores.ts';
import { eventually, startHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { StatsRecorder } from '../../src/stats/recorder.ts';
import type { Static } from '@sinclair/typebox';
import type { OverviewSchema, TimeseriesSchema } from '../../src/api/routes/stats/schemas.ts';

type Overview = Static<typeof OverviewSchema>;
type Timeseries = Static<typeof TimeseriesSchema>;

for (const backend of BACKENDS) {
  void test(`${backend}: recorder flushes additive per-minute counters in one upsert`, async () => {
    const store = await freshStore(backend);
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1, 10, 0, 30));
      const repo = store.stats;
      const rec = new StatsRecorder({ sink: repo, clock });
      rec.accepted('sms', 'a', 3);
      rec.completed('sms', 'a', 'sent', 120);
      rec.completed('sms', 'a', 'failed');
      await rec.flush();
      // A second writer (another process) adds to the same row.
      const other = new StatsRecorder({ sink: repo, clock });
      other.accepted('sms', 'a');
      other.completed('sms', 'a', 'retried');
      clock.advance(60_000);
      other.completed('email', 'b', 'delivered', 40);
      await other.stop();

      const start = Date.UTC(2026, 0, 1, 10, 0);
      const rows = await repo.series(start, start + 120_000, 60_000, 'channel');
      const sms = rows.find((r) => r.key === 'sms')!;
      assert.deepEqual(
        { t: sms.t, accepted: sms.accepted, sent: sms.sent, failed: sms.failed, retried: sms.retried },
        { t: start, accepted: 4, sent: 1, failed: 1, retried: 1 },
      );
      const hourly = await repo.series(start, start + 3_600_000, 3_600_000, 'all');
      assert.equal(hourly.length, 1);
      assert.equal(hourly[0]!.delivered, 1);
      const totals = await repo.totals(start, start + 120_000);
      const a = totals.find((t) => t.provider === 'a')!;
      assert.equal(a.latencyMsSum, 120);
      assert.equal(a.latency[1], 1, '120 ms falls in the 100–250 ms bucket');
      // Across hours: whole hours come from the rollup, the ends from the minutes; the sum is the same.
      clock.set(start + 2 * 3_600_000 + 5 * 60_000);
      rec.accepted('sms', 'a', 10);
      await rec.flush();
      const wide = await repo.totals(start - 30 * 60_000, start + 3 * 3_600_000);
      assert.equal(wide.find((t) => t.provider === 'a')!.accepted, 14);
      const ragged = await repo.totals(start + 30_000, start + 2 * 3_600_000 + 6 * 60_000);
      assert.equal(ragged.find((t) => t.provider === 'a')!.accepted, 10, 'the minute 10:00 starts before the window');
      const byHour = await repo.series(start, start + 3 * 3_600_000, 3_600_000, 'all');
      assert.deepEqual(
        byHour.map((r) => [r.t, r.accepted]),
        [
          [start, 4],
          [start + 2 * 3_600_000, 10],
        ],
      );
      assert.equal(await repo.prune(start + 60_000, start), 1);
      assert.equal(await repo.prune(start + 3 * 3_600_000), 5, 'two minutes and three hours');
    } finally {
      await store.close();
    }
  });
}

void test('stats API: accepted and delivered webhooks show in the overview and the series', async () => {
  const sink = await startSink(() => ({ status: 200 }));
  const h = await startHerald();
  try {
    for (let i = 0; i < 3; i++) {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'webhook', url: `${sink.url}/hook`, body: { i } },
      });
      assert.equal(r.statusCode, 202);
    }
    const o = await eventually(
      async () => {
        const r = await h.inject({ method: 'GET', url: '/v1/stats/overview', headers: h.auth });
        const body = r.json<Overview>();
        return body.totals.delivered === 3 ? body : undefined;
      },
      10_000,
      'three delivered in the overview',
    );
    assert.equal(o.totals.accepted, 3);
    assert.equal(o.totals.latency.count, 3);
    assert.ok(o.totals.latency.p50Ms !== null);
    assert.deepEqual(
      o.byChannel.map((c) => c.channel),
      ['webhook'],
    );
    assert.equal(typeof o.queue.queued, 'number');

    const r = await h.inject({ method: 'GET', url: '/v1/stats/timeseries?bucket=minute&by=channel', headers: h.auth });
    assert.equal(r.statusCode, 200);
    const ts = r.json<Timeseries>();
    assert.ok(ts.timestamps.length >= 60 && ts.timestamps.length <= 61, `${ts.timestamps.length} minute buckets`);
    const webhook = ts.series.find((s) => s.key === 'webhook')!;
    assert.equal(
      webhook.accepted.reduce((a, b) => a + b, 0),
      3,
    );
    assert.equal(webhook.accepted.length, ts.timestamps.length);

    const hours = await h.inject({ method: 'GET', url: '/v1/stats/timeseries?bucket=hour', headers: h.auth });
    assert.equal(hours.json<Timeseries>().timestamps.length, 7 * 24 + 1);

    const bad = await h.inject({
      method: 'GET',
      url: '/v1/stats/timeseries?bucket=minute&since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z',
      headers: h.auth,
    });
    assert.equal(bad.statusCode, 400);
    // Two thousand years of minutes is refused before a bucket is made (it used to build them all:
    // a minute of blocked event loop for 1970, out of memory for year 1, from one request).
    for (const since of ['0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z']) {
      const huge = await h.inject({ method: 'GET', url: `/v1/stats/timeseries?since=${since}`, headers: h.auth });
      assert.equal(huge.statusCode, 400, huge.body);
      assert.match(huge.json<{ error: { message: string } }>().error.message, /At most 1440 minute buckets/);
    }
    const anon = await h.inject({ method: 'GET', url: '/v1/stats/overview' });
    assert.equal(anon.statusCode, 401);
    const doc = (await h.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    }>();
    const params = doc.paths['/v1/stats/timeseries']?.get?.parameters?.map((p) => p.name).sort();
    assert.deepEqual(params, ['bucket', 'by', 'since', 'until']);
    assert.ok(doc.paths['/v1/stats/overview']?.get, 'the overview is documented');
  } finally {
    await h.stop();
    await sink.close();
  }
});
