import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/domain/clock.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { HOUR, T0 } from './helpers.ts';
import { databaseForTests } from '../../src/store/open-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** End to end: API → scheduler → fan-out → worker → provider. */
for (const backend of BACKENDS) {
  describe(`campaign delivery: ${backend}`, () => {
    const started: TestHerald[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const h of started) await h.stop();
      for (const c of cleanups) await c();
    });

    const setup = async (h: TestHerald, n: number, provider?: string) => {
      for (let i = 0; i < n; i++) {
        const r = await h.inject({
          method: 'POST',
          url: '/v1/contacts',
          headers: h.auth,
          payload: { phone: `7916000000${i}`, attributes: { name: `C${i}` } },
        });
        assert.ok(r.statusCode === 201 || r.statusCode === 409);
      }
      const r = await h.inject({
        method: 'POST',
        url: '/v1/campaigns',
        headers: h.auth,
        payload: { text: 'Hi {attributes.name}', startAt: iso(T0 - HOUR), endAt: iso(T0 + HOUR), provider },
      });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>().id;
    };
    const stats = async (h: TestHerald, id: string) =>
      (await h.inject({ method: 'GET', url: `/v1/campaigns/${id}/stats`, headers: h.auth })).json();

    test('with the default outbox, every message is delivered and the campaign finishes by itself', async () => {
      const h = await startHerald({ backend, clock: new ManualClock(T0, { realTimers: true }) });
      started.push(h);
      const id = await setup(h, 5);
      const s = await eventually(
        async () => {
          const st = await stats(h, id);
          return st.campaign.state === 'finished' ? st : undefined;
        },
        10_000,
        'the campaign to finish',
      );
      assert.deepEqual(s.counts, { delivered: 5 });
      assert.equal(s.deliveryRate, 1);
      const outbox = await databaseForTests(h.rt.store).selectFrom('outbox').select('body_text').execute();
      assert.deepEqual(outbox.map((o) => o.body_text).sort(), ['Hi C0', 'Hi C1', 'Hi C2', 'Hi C3', 'Hi C4']);
      // Fanned-out messages count as accepted, under the provider that carried them.
      const metrics = (await h.inject({ url: '/metrics', headers: h.auth })).body;
      assert.match(metrics, /herald_messages_accepted_total\{channel="sms",provider="outbox-sms"\} 5\b/);
    });

    test('a provider that is down until the end: nothing is delivered after it, everything expires; other campaigns flow', async () => {
      let up = false;
      const sink = await startSink(() =>
        up ? { status: 200, body: '{"code":0,"message":"OK"}' } : { status: 503, body: 'down' },
      );
      cleanups.push(sink.close);
      const dir = mkdtempSync(join(tmpdir(), 'herald-campaign-'));
      const cfg = join(dir, 'herald.yaml');
      writeFileSync(
        cfg,
        `providers:\n  - name: probe\n    channel: sms\n    type: fbrq\n    baseUrl: ${sink.url}/v1\n    token: t\n    retrySchedule: 0,1s\n    maxAttempts: 50\n  - name: box\n    channel: sms\n    type: outbox\n`,
      );
      const clock = new ManualClock(T0, { realTimers: true });
      const h = await startHerald({ backend, clock, env: { HERALD_CONFIG: cfg } });
      started.push(h);
      const id = await setup(h, 3, 'probe');
      await eventually(() => (sink.requests.length >= 3 ? true : undefined), 10_000, 'first attempts');
      // Meanwhile a campaign on another provider (its own lane) is delivered.
      const other = await setup(h, 3, 'box');
      await eventually(
        async () => ((await stats(h, other)).counts.delivered === 3 ? true : undefined),
        10_000,
        'the other campaign',
      );
      await eventually(
        async () => {
          const st = await stats(h, id);
          return st.counts.queued === 3 ? true : undefined;
        },
        10_000,
        'messages back in the queue',
      );
      const before = sink.requests.length;
      // The provider comes back only after the end.
      clock.set(T0 + 2 * HOUR);
      up = true;
      await h.rt.scheduler!.tick();
      const s = await eventually(
        async () => {
          const st = await stats(h, id);
          return st.campaign.state === 'finished' && st.counts.expired === 3 ? st : undefined;
        },
        10_000,
        'the campaign to end with every message expired',
      );
      assert.deepEqual(s.counts, { expired: 3 });
      // A negative check needs a grace period: give a woken worker the chance to (wrongly) call.
      h.rt.worker!.wake();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.requests.length, before, 'no call to the provider after the end');
    });
  });
}
