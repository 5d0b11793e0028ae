import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { HOLD_MS } from '../../src/store/campaigns.repo.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { HOUR, T0 } from './helpers.ts';
import { databaseForTests } from '../../src/store/open-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

for (const backend of BACKENDS) {
  describe(`campaigns API: ${backend}`, () => {
    let h: TestHerald;
    const clock = new ManualClock(T0, { realTimers: true });
    before(async () => {
      h = await startHerald({ backend, clock, startWorker: false });
    });
    after(() => h.stop());
    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
      h.inject({ method, url, headers: h.auth, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const contact = async (body: Record<string, unknown>) => {
      const r = await call('POST', '/v1/contacts', body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string; operatorCode: string | null }>();
    };

    test('contacts: create, derive operator code, validate, duplicate, read, change, list, delete', async () => {
      const a = await contact({
        phone: '79161234567',
        tag: 'vip',
        timezone: 'Europe/Moscow',
        attributes: { name: 'A' },
      });
      assert.equal(a.operatorCode, '916');
      const dup = await call('POST', '/v1/contacts', { phone: '79161234567' });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().error.code, 'HERALD_CONFLICT');
      const bad = await call('POST', '/v1/contacts', { phone: '12', timezone: 'Mars/Olympus' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(
        bad.json().error.details.map((d: { path: string }) => d.path),
        ['/phone', '/timezone'],
      );
      assert.equal((await call('POST', '/v1/contacts', { tag: 'x' })).statusCode, 400);
      const unauth = await h.inject({ method: 'GET', url: '/v1/contacts' });
      assert.equal(unauth.statusCode, 401);
      const got = await call('GET', `/v1/contacts/${a.id}`);
      assert.equal(got.json().attributes.name, 'A');
      const changed = await call('PATCH', `/v1/contacts/${a.id}`, { phone: '79031234567', tag: 'regular' });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.equal(changed.json().operatorCode, '903');
      assert.equal(changed.json().timezone, 'Europe/Moscow');
      const b = await contact({ email: 'b@example.com', operatorCode: '916', tag: 'vip' });
      const c = await contact({ phone: '+14155550100', tag: 'vip', timezone: 'America/New_York' });
      assert.equal(c.operatorCode, null);
      const vip = await call('GET', '/v1/contacts?tag=vip&limit=1');
      assert.equal(vip.json().items.length, 1);
      const next = await call('GET', `/v1/contacts?tag=vip&limit=1&cursor=${vip.json().nextCursor}`);
      assert.deepEqual([vip.json().items[0].id, next.json().items[0].id], [b.id, c.id]);
      assert.equal(next.json().nextCursor, null);
      const both = await call('GET', '/v1/contacts?operatorCode=916&operatorCode=903');
      assert.equal(both.json().items.length, 2);
      const count = await call('POST', '/v1/contacts/count', { tags: ['vip'], channel: 'sms' });
      assert.equal(count.json().count, 1);
      assert.equal((await call('POST', '/v1/contacts/count', {})).json().count, 3);
      assert.equal((await call('DELETE', `/v1/contacts/${b.id}`)).statusCode, 204);
      assert.equal((await call('GET', `/v1/contacts/${b.id}`)).statusCode, 404);
      assert.equal((await call('DELETE', `/v1/contacts/${b.id}`)).statusCode, 404);
      for (const id of [a.id, c.id]) await call('DELETE', `/v1/contacts/${id}`);
    });

    test('import: CSV and NDJSON, streamed, with a report of rejected rows', async () => {
      const csv = [
        'phone,tag,timezone,operatorCode,name',
        '79001110001,csv,Europe/Moscow,,Ann',
        '79001110002,csv,Nowhere/City,,Bob',
        '79001110001,csv,UTC,,Dup',
        'abc,csv,UTC,,Bad',
        '"79001110003",csv,Asia/Tokyo,999,"Eve, Jr."',
      ].join('\n');
      const r = await h.inject({
        method: 'POST',
        url: '/v1/contacts/import',
        headers: { ...h.auth, 'content-type': 'text/csv' },
        payload: csv,
      });
      assert.equal(r.statusCode, 200, r.body);
      const report = r.json();
      assert.equal(report.accepted, 2);
      assert.equal(report.rejected, 3);
      assert.deepEqual(
        report.errors.map((e: { row: number }) => e.row),
        [2, 4, 3],
      );
      assert.match(report.errors[0].reason, /timezone/);
      assert.match(report.errors[2].reason, /duplicate phone 79001110001/);
      const list = (await call('GET', '/v1/contacts?tag=csv')).json().items;
      assert.equal(list[1].attributes.name, 'Eve, Jr.');
      assert.equal(list[1].operatorCode, '999');
      const nd = [
        '{"phone":"79001110004","tag":"nd"}',
        '',
        'not json',
        '{"email":"x@example.com","tag":"nd"}',
        '[1]',
      ].join('\n');
      const r2 = await h.inject({
        method: 'POST',
        url: '/v1/contacts/import',
        headers: { ...h.auth, 'content-type': 'application/x-ndjson' },
        payload: nd,
      });
      assert.equal(r2.statusCode, 200, r2.body);
      assert.deepEqual(r2.json(), {
        accepted: 2,
        rejected: 2,
        errors: [
          { row: 2, reason: 'not valid JSON' },
          { row: 4, reason: 'each line must be a JSON object' },
        ],
      });
      const wrong = await h.inject({
        method: 'POST',
        url: '/v1/contacts/import',
        headers: { ...h.auth, 'content-type': 'application/json' },
        payload: '{}',
      });
      assert.equal(wrong.statusCode, 415);
    });

    test('campaign lifecycle: start now, stats, edit text, pause, resume, cancel, delete', async () => {
      for (let i = 0; i < 6; i++) await contact({ phone: `7950000000${i}`, tag: 'life', attributes: { n: i } });
      const r = await call('POST', '/v1/campaigns', {
        text: 'Hi #{attributes.n}',
        filter: { tags: ['life'] },
        startAt: iso(T0 - HOUR),
        endAt: iso(T0 + 5 * HOUR),
      });
      assert.equal(r.statusCode, 201, r.body);
      const c = r.json();
      assert.equal(c.state, 'running');
      assert.equal(c.channel, 'sms');
      await h.rt.scheduler!.tick();
      let stats = (await call('GET', `/v1/campaigns/${c.id}/stats?limit=4`)).json();
      assert.deepEqual(stats.counts, { queued: 6 });
      assert.equal(stats.total, 6);
      assert.equal(stats.deliveryRate, 0);
      assert.equal(stats.campaign.fanout.done, true);
      assert.equal(stats.messages.items.length, 4);
      const rest = (
        await call('GET', `/v1/campaigns/${c.id}/stats?limit=4&cursor=${stats.messages.nextCursor}`)
      ).json();
      assert.equal(rest.messages.items.length, 2);
      assert.equal(rest.messages.nextCursor, null);

      const edited = await call('PATCH', `/v1/campaigns/${c.id}`, { text: 'Bye #{attributes.n}' });
      assert.equal(edited.statusCode, 200, edited.body);
      const texts = (await h.rt.store.campaigns.messages(c.id, 10)).items.map((m) => m.text).sort();
      assert.deepEqual(texts, ['Bye #0', 'Bye #1', 'Bye #2', 'Bye #3', 'Bye #4', 'Bye #5']);
      const bad = await call('PATCH', `/v1/campaigns/${c.id}`, { channel: 'email', from: 'a@b.c', subject: 's' });
      assert.equal(bad.statusCode, 409);

      const paused = await call('POST', `/v1/campaigns/${c.id}/pause`);
      assert.equal(paused.json().state, 'paused');
      let msgs = (await h.rt.store.campaigns.messages(c.id, 10)).items;
      assert.ok(msgs.every((m) => m.dueAt >= HOLD_MS));
      assert.equal((await call('POST', `/v1/campaigns/${c.id}/pause`)).statusCode, 409);
      const resumed = await call('POST', `/v1/campaigns/${c.id}/resume`);
      assert.equal(resumed.json().state, 'running');
      msgs = (await h.rt.store.campaigns.messages(c.id, 10)).items;
      assert.ok(msgs.every((m) => m.dueAt === T0));

      await h.rt.store.messages.changeState(msgs[0]!.id, { to: 'cancelled', at: T0, source: 'test', type: 'cancel' });
      const cancelled = await call('POST', `/v1/campaigns/${c.id}/cancel`);
      assert.equal(cancelled.json().state, 'cancelled');
      stats = (await call('GET', `/v1/campaigns/${c.id}/stats?state=cancelled`)).json();
      assert.deepEqual(stats.counts, { cancelled: 6 });
      assert.equal(stats.messages.items.length, 6);
      assert.equal((await call('POST', `/v1/campaigns/${c.id}/resume`)).statusCode, 409);
      assert.equal((await call('DELETE', `/v1/campaigns/${c.id}`)).statusCode, 204);
      assert.equal((await call('GET', `/v1/campaigns/${c.id}`)).statusCode, 404);
    });

    test('a campaign with a future start starts by itself; validation errors', async () => {
      const r = await call('POST', '/v1/campaigns', {
        name: 'later',
        text: 'Later',
        filter: { tags: ['life'] },
        startAt: iso(T0 + HOUR),
        endAt: iso(T0 + 3 * HOUR),
        window: { from: '22:00', to: '06:00' },
        priority: 3,
      });
      assert.equal(r.statusCode, 201, r.body);
      const id = r.json().id;
      assert.equal(r.json().state, 'scheduled');
      await h.rt.scheduler!.tick();
      assert.equal((await call('GET', `/v1/campaigns/${id}`)).json().state, 'scheduled');
      clock.set(T0 + HOUR);
      // The background loop may run this pass first: check the outcome, not who did it.
      await h.rt.scheduler!.tick();
      const started = (await call('GET', `/v1/campaigns/${id}`)).json();
      // Every message was created expired, so nothing is left to send: it finishes in the same pass.
      assert.equal(started.state, 'finished');
      assert.equal(started.startedAt, iso(T0 + HOUR));
      assert.equal(started.fanout.contacts, 6);
      // UTC contacts; window 22:00–06:00 does not open before the 15:00 end: created expired.
      const stats = (await call('GET', `/v1/campaigns/${id}/stats`)).json();
      assert.deepEqual(stats.counts, { expired: 6 });
      assert.equal((await call('PATCH', `/v1/campaigns/${id}`, { text: 'x' })).statusCode, 409);
      clock.set(T0);

      const invalid = await call('POST', '/v1/campaigns', {
        channel: 'email',
        text: 'x',
        startAt: iso(T0 + HOUR),
        endAt: iso(T0),
        window: { from: '10:00', to: '10:00' },
        provider: 'nope',
      });
      assert.equal(invalid.statusCode, 400);
      assert.deepEqual(
        invalid
          .json()
          .error.details.map((d: { path: string }) => d.path)
          .sort(),
        ['/endAt', '/from', '/provider', '/subject', '/window'],
      );
      const schema = await call('POST', '/v1/campaigns', { text: 'x', startAt: 'soon', endAt: iso(T0) });
      assert.equal(schema.statusCode, 400);
    });

    test('a campaign whose end has passed is refused, on create and on a change of endAt', async () => {
      const past = await call('POST', '/v1/campaigns', {
        text: 'Too late',
        startAt: iso(T0 - 3 * HOUR),
        endAt: iso(T0 - HOUR),
      });
      assert.equal(past.statusCode, 400, past.body);
      assert.equal(
        past.json().error.message,
        `The request is not valid: endAt is already past (${iso(T0 - HOUR)}): the campaign would send nothing.`,
      );
      const later = await call('POST', '/v1/campaigns', {
        text: 'Later',
        filter: { tags: ['nobody'] },
        startAt: iso(T0 + HOUR),
        endAt: iso(T0 + 2 * HOUR),
      });
      assert.equal(later.statusCode, 201, later.body);
      const id = later.json().id;
      const moved = await call('PATCH', `/v1/campaigns/${id}`, { startAt: iso(T0 - 2 * HOUR), endAt: iso(T0 - HOUR) });
      assert.equal(moved.statusCode, 400);
      assert.deepEqual(
        moved.json().error.details.map((d: { path: string }) => d.path),
        ['/endAt'],
      );
      // A change that leaves endAt alone is judged on its own.
      assert.equal((await call('PATCH', `/v1/campaigns/${id}`, { name: 'Renamed' })).statusCode, 200);
    });

    test('statistics agree with counted truth', async () => {
      const ids: string[] = [];
      for (const tag of ['s1', 's2']) {
        for (let i = 0; i < 4; i++) await contact({ phone: `7960${tag === 's1' ? 1 : 2}00000${i}`, tag });
        const r = await call('POST', '/v1/campaigns', {
          text: tag,
          filter: { tags: [tag] },
          startAt: iso(T0 - HOUR),
          endAt: iso(T0 + HOUR),
        });
        ids.push(r.json().id);
      }
      await h.rt.scheduler!.tick();
      const msgs = (await h.rt.store.campaigns.messages(ids[0], 10)).items;
      const s = h.rt.store.messages;
      await s.changeState(msgs[0]!.id, { to: 'cancelled', at: T0, source: 't', type: 't' });
      // Delivered after 2 s and 10 s (receipts: queued → sending is the worker's; here sent → delivered).
      for (const [m, ms] of [
        [msgs[1]!, 2000],
        [msgs[2]!, 10_000],
      ] as const) {
        await databaseForTests(h.rt.store)
          .updateTable('messages')
          .set({ state: 'sent', sent_at: T0 + 1000 })
          .where('id', '=', m.id)
          .execute();
        await s.changeState(m.id, { to: 'delivered', at: T0 + ms, source: 't', type: 't' });
      }
      const truth = await databaseForTests(h.rt.store)
        .selectFrom('messages')
        .select(['campaign_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('campaign_id', 'in', ids)
        .groupBy(['campaign_id', 'state'])
        .execute();
      const all = (await call('GET', '/v1/campaigns/stats')).json().items;
      for (const id of ids) {
        const expected = Object.fromEntries(
          truth.filter((t) => t.campaign_id === id).map((t) => [t.state, Number(t.n)]),
        );
        assert.deepEqual(all.find((x: { id: string }) => x.id === id).counts, expected);
      }
      const one = (await call('GET', `/v1/campaigns/${ids[0]}/stats`)).json();
      assert.deepEqual(one.counts, { queued: 1, cancelled: 1, delivered: 2 });
      assert.equal(one.deliveryRate, 0.5);
      assert.equal(one.timing.delivered, 2);
      assert.equal(one.timing.p50TimeToDeliveryMs, 2000);
      assert.equal(one.timing.p95TimeToDeliveryMs, 2000);
      assert.equal(one.timing.firstSentAt, iso(T0 + 1000));
    });
  });
}
