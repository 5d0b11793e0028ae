import { after, describe, test } from 'node:test';
import { messageDetailView } from '../../src/api/routes/messages/views.ts';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.ts';
import { BACKENDS, freshUrl } from '../helpers/stores.ts';
import { webhookMessage } from '../helpers/messages.ts';
import { databaseForTests, openStore } from '../../src/store/open-store.ts';
import { insertDeliveriesStep, newDelivery } from '../../src/store/event-delivery-writes.ts';
import { runSteps } from '../../src/store/steps.ts';

const DAY = 86_400_000;

/*
 * A dispatch pass, repeated (up to 10 s) while it reads nothing. On PostgreSQL the dispatcher reads
 * only events older than every transaction running in the cluster (decision 0023): another test
 * file's open transaction holds them back for a moment, never for good.
 */
async function dispatchSoon(s: Store, now: number) {
  for (let i = 0; ; i++) {
    const r = await s.eventDeliveries.dispatch(now, 500, 3);
    if (r.read > 0 || i >= 100) return r;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
const cancel = (at: number) => ({ to: 'cancelled' as const, at, source: 'api', type: 'cancelled' });

for (const backend of BACKENDS) {
  describe(`status events outbox: ${backend}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });
    const fresh = async () => {
      const where = freshUrl(backend);
      const s = await openStore(where);
      opened.push(s);
      await s.migrate();
      return { s, where };
    };
    const deliveriesOf = async (s: Store, endpointId: string) =>
      (await s.eventDeliveries.list(endpointId, {}, 1000)).items;

    test('state changes become one delivery per matching endpoint; filters apply; nothing twice', async () => {
      const { s } = await fresh();
      const all = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.cancelled'] }, 1000);
      const tagged = await s.endpoints.create(
        { url: 'https://b.example/e', events: ['message.cancelled'], filter: { metadata: { team: 'red' } } },
        1000,
      );
      const [r1, r2] = await s.messages.insertMany(
        [
          webhookMessage('https://t.example/1', { metadata: { team: 'red' } }),
          webhookMessage('https://t.example/2', { metadata: { team: 'blue' } }),
        ],
        2000,
      );
      await s.messages.changeState(r1!.id, cancel(3000));
      await s.messages.changeState(r2!.id, cancel(3000));
      // A retry event (no event type) and an unknown engagement produce nothing.
      assert.deepEqual(await dispatchSoon(s, 4000), { read: 2, queued: 3 });
      assert.deepEqual(await s.eventDeliveries.dispatch(5000, 500, 3), { read: 0, queued: 0 });
      const a = await deliveriesOf(s, all.endpoint.id);
      const b = await deliveriesOf(s, tagged.endpoint.id);
      assert.equal(a.length, 2);
      assert.deepEqual(
        b.map((d) => d.messageId),
        [r1!.id],
      );
      const same = a.find((d) => d.messageId === r1!.id)!;
      assert.equal(same.eventId, b[0]!.eventId, 'one event id per event, whichever endpoint');
      assert.equal(same.payload.type, 'message.cancelled');
      assert.equal(same.payload.timestamp, new Date(3000).toISOString());
      assert.deepEqual(same.payload.data.metadata, { team: 'red' });
    });

    test('dispatchers in two processes racing over the same events queue each delivery once', async () => {
      const { s, where } = await fresh();
      const other = await openStore(where);
      opened.push(other);
      const ep = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.cancelled'] }, 1000);
      const n = 300;
      const made = await s.messages.insertMany(
        Array.from({ length: n }, (_, i) => webhookMessage(`https://t.example/${i}`)),
        2000,
      );
      for (const m of made) await s.messages.changeState(m.id, cancel(3000));
      // Small pages, both stores at once: each pass reads the same cursor as the other's; only one moves it.
      const race = async (st: Store) => {
        let queued = 0;
        for (let i = 0; i < 200; i++) {
          const r = await st.eventDeliveries.dispatch(4000 + i, 25, 3);
          queued += r.queued;
          if (r.read === 0 && (await deliveriesOf(s, ep.endpoint.id)).length >= n) break;
        }
        return queued;
      };
      const [a, b] = await Promise.all([race(s), race(other)]);
      const ids = (await deliveriesOf(s, ep.endpoint.id)).map((d) => d.messageId);
      assert.equal(ids.length, n, 'one delivery per event');
      assert.equal(new Set(ids).size, n, 'none twice');
      assert.equal(a + b, n, 'each dispatcher counts only what it queued');
    });

    test('one INSERT queues every delivery of a pass: bodies kept byte for byte, none for a message that is gone', async () => {
      const { s } = await fresh();
      const a = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.cancelled'] }, 1000);
      const b = await s.endpoints.create({ url: 'https://b.example/e', events: ['message.cancelled'] }, 1000);
      const [m] = await s.messages.insertMany([webhookMessage('https://t.example/1')], 2000);
      // Text that escapes in JSON: quotes, a backslash, a line separator, an emoji, a lone surrogate as
      // JSON.stringify writes it, a NUL escape, and non-ASCII letters.
      const body = JSON.stringify({ type: 'message.cancelled', data: { text: 'a"b\\c\u2028 😀 \ud800 \u0000 é' } });
      const ping = JSON.stringify({ type: 'endpoint.ping', data: {} });
      const to = (e: { id: string; url: string }) => ({ id: e.id, url: e.url });
      const deliveries = [
        newDelivery(3000, 'evt_1', 'message.cancelled', m!.id, body, to(a.endpoint)),
        newDelivery(3000, 'evt_1', 'message.cancelled', m!.id, body, to(b.endpoint)),
        newDelivery(3000, 'evt_2', 'message.cancelled', 'no-such-message', body, to(a.endpoint)),
        newDelivery(3000, 'evt_3', 'endpoint.ping', null, ping, to(b.endpoint)),
      ];
      const pg = backend === 'postgres';
      const [r] = await runSteps(databaseForTests(s), [insertDeliveriesStep(pg, deliveries, 3, 3000)]);
      assert.equal(Number(r!.changes), 3, 'the delivery of a message that is gone is left out');
      const got = [...(await deliveriesOf(s, a.endpoint.id)), ...(await deliveriesOf(s, b.endpoint.id))];
      assert.deepEqual(got.map((d) => d.eventId).sort(), ['evt_1', 'evt_1', 'evt_3']);
      const raw = await databaseForTests(s).selectFrom('event_deliveries').select(['event_id', 'body']).execute();
      for (const row of raw)
        assert.equal(row.body, row.event_id === 'evt_3' ? ping : body, 'each delivery its own event body');
    });

    test('message.accepted rows are written only when an endpoint wants them', async () => {
      const { s } = await fresh();
      await s.messages.insertMany([webhookMessage('https://t.example/1')], 1000);
      assert.equal((await s.eventDeliveries.dispatch(1500, 500, 3)).read, 0, 'no endpoint: no accepted row');
      const ep = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.accepted'] }, 1600);
      const [r] = await s.messages.insertMany([webhookMessage('https://t.example/2')], 2000);
      assert.deepEqual(await dispatchSoon(s, 2500), { read: 1, queued: 1 });
      const [d] = await deliveriesOf(s, ep.endpoint.id);
      assert.equal(d!.messageId, r!.id);
      assert.equal(d!.payload.data.state, 'queued');
      const detail = await s.messages.detail(r!.id);
      assert.equal(detail!.events[0]!.type, 'accepted', 'the timeline starts with accepted');
      const view = messageDetailView(detail!);
      assert.deepEqual(
        view.events.map((e) => e.type),
        ['accepted'],
        'the API shows the written accepted row once (no synthesised twin)',
      );
    });

    test('an endpoint failing for the disable period is disabled, audited; a success clears the run', async () => {
      const { s } = await fresh();
      const { endpoint } = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.failed'] }, 0);
      const t0 = 10 * DAY;
      const fail = async (at: number, ok = false) => {
        await s.eventDeliveries.ping(endpoint.id, endpoint.url, at);
        const [m] = await s.eventDeliveries.claim({ owner: 'w', limit: 1, now: at, leaseMs: 60_000 });
        assert.ok(m, 'claimed the ping');
        const attempt = {
          number: 1,
          provider: 'events',
          startedAt: at,
          durationMs: 5,
          outcome: ok ? ('ok' as const) : ('transient' as const),
          statusCode: ok ? 200 : 503,
          response: null,
          error: ok ? null : 'HTTP 503',
        };
        await s.eventDeliveries.complete(
          [
            {
              id: m.id,
              owner: 'w',
              to: ok ? 'delivered' : 'failed',
              at,
              countsAttempt: true,
              attempt,
              event: { type: 'x', source: 'events' },
            },
          ],
          { disableAfterMs: 5 * DAY },
        );
      };
      await fail(t0);
      assert.equal((await s.endpoints.get(endpoint.id))!.failingSince, t0);
      await fail(t0 + DAY, true);
      assert.equal((await s.endpoints.get(endpoint.id))!.failingSince, null, 'a success ends the run');
      await fail(t0 + 2 * DAY);
      await fail(t0 + 6 * DAY);
      assert.equal((await s.endpoints.get(endpoint.id))!.enabled, true, '4 days of failures: still enabled');
      await fail(t0 + 7 * DAY + 1);
      const after = (await s.endpoints.get(endpoint.id))!;
      assert.equal(after.enabled, false);
      assert.match(after.disabledReason!, /failed for 5 days/);
      const audit = await s.audit.list({ action: 'endpoint.disable' }, 10);
      assert.equal(audit.items.length, 1);
      assert.equal(audit.items[0]!.objectId, endpoint.id);
      // Its queued deliveries wait while it is disabled, and go once it is enabled again.
      await s.eventDeliveries.ping(endpoint.id, endpoint.url, t0 + 8 * DAY);
      assert.equal((await s.eventDeliveries.claim({ owner: 'w', limit: 5, now: t0 + 8 * DAY, leaseMs: 1 })).length, 0);
      await s.endpoints.update(endpoint.id, { enabled: true }, t0 + 8 * DAY);
      assert.equal((await s.eventDeliveries.claim({ owner: 'w', limit: 5, now: t0 + 8 * DAY, leaseMs: 1 })).length, 1);
    });

    test('a claim takes the oldest due deliveries across lanes, skipping excluded lanes and disabled endpoints', async () => {
      const { s } = await fresh();
      const mk = async (url: string) => (await s.endpoints.create({ url, events: ['message.failed'] }, 0)).endpoint;
      const [a, b, c, off] = [
        await mk('https://a.example/e'),
        await mk('https://b.example/e'),
        await mk('https://c.example/e'),
        await mk('https://d.example/e'),
      ];
      // Pings as deliveries, due when made: a 1000–1004, b 1100–1104, c 1050 and 5000 (not yet due), off 900.
      const made = new Map<string, number>();
      const ping = async (e: { id: string; url: string }, at: number) =>
        made.set(await s.eventDeliveries.ping(e.id, e.url, at), at);
      for (let i = 0; i < 5; i++) await ping(a, 1000 + i);
      for (let i = 0; i < 5; i++) await ping(b, 1100 + i);
      await ping(c, 1050);
      await ping(c, 5000);
      await ping(off, 900);
      await s.endpoints.update(off.id, { enabled: false }, 0);
      const claim = async (limit: number, excludeLanes: string[] = []) =>
        (await s.eventDeliveries.claim({ owner: 'w', limit, now: 2000, leaseMs: 60_000, excludeLanes }))
          .map((m) => [m.lane, made.get(m.id)] as const)
          .sort((x, y) => x[1]! - y[1]!);
      assert.deepEqual(await claim(3, [`event:${a.id}`]), [
        [`event:${c.id}`, 1050],
        [`event:${b.id}`, 1100],
        [`event:${b.id}`, 1101],
      ]);
      assert.deepEqual(await claim(4), [
        [`event:${a.id}`, 1000],
        [`event:${a.id}`, 1001],
        [`event:${a.id}`, 1002],
        [`event:${a.id}`, 1003],
      ]);
      assert.deepEqual(
        await claim(10, [`event:${b.id}`]),
        [[`event:${a.id}`, 1004]],
        'b skipped, c not due, off disabled',
      );
      assert.deepEqual(await claim(10, [`event:${a.id}`, `event:${b.id}`, `event:${c.id}`]), []);
    });

    test('purgeOlderThan removes finished deliveries with their attempts, in batches', async () => {
      const { s } = await fresh();
      const { endpoint } = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.failed'] }, 0);
      for (let i = 0; i < 3; i++) await s.eventDeliveries.ping(endpoint.id, endpoint.url, 1000 + i);
      const claimed = await s.eventDeliveries.claim({ owner: 'w', limit: 2, now: 2000, leaseMs: 1000 });
      await s.eventDeliveries.complete(
        claimed.map((m) => ({
          id: m.id,
          owner: 'w',
          to: 'delivered' as const,
          at: 2000,
          countsAttempt: true,
          attempt: {
            number: 1,
            provider: 'events',
            startedAt: 2000,
            durationMs: 1,
            outcome: 'ok' as const,
            statusCode: 200,
            response: null,
            error: null,
          },
          event: { type: 'x', source: 'events' },
        })),
      );
      assert.equal(await s.eventDeliveries.purgeOlderThan(5000, 1), 1);
      assert.equal(await s.eventDeliveries.purgeOlderThan(5000, 10), 1);
      assert.equal(await s.eventDeliveries.purgeOlderThan(5000, 10), 0, 'the queued one stays');
      assert.equal((await deliveriesOf(s, endpoint.id)).length, 1);
    });

    if (backend === 'postgres')
      test('an event committed after a later one is not skipped (gap-safe cursor)', async () => {
        const { s, where } = await fresh();
        const other = await openStore(where);
        opened.push(other);
        const ep = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.cancelled'] }, 0);
        const [early, late] = await s.messages.insertMany(
          [webhookMessage('https://t.example/1'), webhookMessage('https://t.example/2')],
          1000,
        );
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let written!: () => void;
        const wrote = new Promise<void>((r) => (written = r));
        // Transaction A writes its event first (lower id) and commits last.
        const a = other.transaction(async (tx) => {
          await tx.messages.changeState(early!.id, cancel(2000));
          written();
          await gate;
        });
        await wrote;
        await s.messages.changeState(late!.id, cancel(2001));
        const first = await s.eventDeliveries.dispatch(3000, 500, 3);
        assert.equal(first.queued, 0, 'nothing passes a transaction still running');
        release();
        await a;
        await dispatchSoon(s, 4000);
        const got = (await deliveriesOf(s, ep.endpoint.id)).map((d) => d.messageId).sort();
        assert.deepEqual(got, [early!.id, late!.id].sort());
      });
  });
}
