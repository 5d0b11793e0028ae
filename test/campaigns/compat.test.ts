import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { HOUR, T0 } from './helpers.ts';

const PHONE_MESSAGE = "The client's phone number in the format 7XXXXXXXXXX (X - number from 0 to 9)";
const DATETIME =
  'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

for (const backend of BACKENDS) {
  describe(`seed 003 compat API: ${backend}`, () => {
    let h: TestHerald;
    before(async () => {
      h = await startHerald({ backend, clock: new ManualClock(T0, { realTimers: true }), startWorker: false });
    });
    after(() => h.stop());
    type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const call = (method: Method, url: string, payload?: unknown) =>
      h.inject({ method, url, headers: h.auth, ...(payload !== undefined ? { payload: payload as object } : {}) });

    test('auth, API root, docs with both APIs', async () => {
      const anon = await h.inject({ method: 'GET', url: '/api/clients/' });
      assert.equal(anon.statusCode, 401);
      assert.deepEqual(anon.json(), { detail: 'Authentication credentials were not provided.' });
      const root = await call('GET', '/api/');
      assert.match(root.json().clients, /\/api\/clients\/$/);
      for (const url of ['/docs', '/docs/']) {
        const r = await h.inject({ method: 'GET', url });
        assert.ok([200, 302].includes(r.statusCode), `${url}: ${r.statusCode}`);
      }
      const docs = await h.inject({ method: 'GET', url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.headers['content-type'] as string, /html/);
      // The native API and the seed's API are separate documents, both shown in /docs.
      const spec = (await h.inject({ method: 'GET', url: '/openapi.json' })).json();
      const compat = (await h.inject({ method: 'GET', url: '/openapi-compat.json' })).json();
      for (const p of ['/v1/campaigns', '/v1/contacts/import']) assert.ok(p in spec.paths, `${p} in /openapi.json`);
      for (const p of ['/api/clients/', '/api/mailings/{pk}/info/', '/api/mailings/fullinfo/']) {
        assert.ok(p in compat.paths, `${p} in /openapi-compat.json`);
        assert.ok(!(p in spec.paths), `${p} not in /openapi.json`);
      }
      const initializer = await h.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      assert.match(initializer.body, /openapi-compat\.json/);
      assert.ok(!('/api/clients' in compat.paths), 'slashless aliases are hidden');
    });

    test('clients: create, validate in DRF style, read, replace, change, delete', async () => {
      const r = await call('POST', '/api/clients/', {
        phone_number: '79161234567',
        tag: 'vip',
        timezone: 'Europe/Moscow',
      });
      assert.equal(r.statusCode, 201, r.body);
      const c = r.json();
      assert.deepEqual(
        { ...c, id: undefined },
        {
          id: undefined,
          phone_number: '79161234567',
          mobile_operator_code: '916',
          tag: 'vip',
          timezone: 'Europe/Moscow',
        },
      );
      const cases: [unknown, Record<string, string[]>][] = [
        [{}, { phone_number: ['This field is required.'] }],
        [{ phone_number: '' }, { phone_number: ['This field may not be blank.'] }],
        [{ phone_number: '89161234567' }, { phone_number: [PHONE_MESSAGE] }],
        [
          { phone_number: '791612345678', timezone: 'Mars/Olympus', tag: 'x'.repeat(101) },
          {
            phone_number: ['Ensure this field has no more than 11 characters.'],
            tag: ['Ensure this field has no more than 100 characters.'],
            timezone: ['"Mars/Olympus" is not a valid choice.'],
          },
        ],
        [{ phone_number: '79161234567' }, { phone_number: ['client with this Phone number already exists.'] }],
        [[1, 2], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
      ];
      for (const [body, errors] of cases) {
        const bad = await call('POST', '/api/clients/', body);
        assert.equal(bad.statusCode, 400, JSON.stringify(body));
        assert.deepEqual(bad.json(), errors);
      }
      const badJson = await h.inject({
        method: 'POST',
        url: '/api/clients/',
        headers: { ...h.auth, 'content-type': 'application/json' },
        payload: '{"phone_number":',
      });
      assert.equal(badJson.statusCode, 400);
      assert.match(badJson.json().detail, /^JSON parse error/);
      // Form encoding (curl -d, DRF's browsable API) works too; a number is taken as text, like DRF.
      const form = await h.inject({
        method: 'POST',
        url: '/api/clients',
        headers: { ...h.auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'phone_number=79031112233&tag=form',
      });
      assert.equal(form.statusCode, 201, form.body);
      assert.equal(form.json().timezone, 'UTC');
      assert.equal((await call('POST', '/api/clients/', { phone_number: 79051112233 })).statusCode, 201);

      const list = (await call('GET', '/api/clients/')).json();
      assert.equal(list.length, 3);
      assert.equal(list[0].id, c.id);
      assert.deepEqual((await call('GET', `/api/clients/${c.id}/`)).json(), c);
      assert.deepEqual((await call('GET', `/api/clients/${c.id}`)).json(), c);
      assert.deepEqual((await call('GET', '/api/clients/123/')).json(), { detail: 'Not found.' });
      assert.equal((await call('GET', '/api/clients/0190a0a0-0000-7000-8000-000000000000/')).statusCode, 404);

      const put = await call('PUT', `/api/clients/${c.id}/`, { phone_number: '79261234567' });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(
        { ...put.json<Record<string, unknown>>(), id: undefined },
        {
          id: undefined,
          phone_number: '79261234567',
          mobile_operator_code: '926',
          tag: '',
          timezone: 'UTC',
        },
      );
      assert.deepEqual((await call('PUT', `/api/clients/${c.id}/`, { tag: 'x' })).json(), {
        phone_number: ['This field is required.'],
      });
      const patch = await call('PATCH', `/api/clients/${c.id}/`, { tag: 'gold', timezone: 'Asia/Tokyo' });
      assert.equal(patch.json().phone_number, '79261234567');
      assert.equal(patch.json().tag, 'gold');
      assert.equal(
        (await call('PATCH', `/api/clients/${c.id}/`, { phone_number: '79031112233' })).json().phone_number[0],
        'client with this Phone number already exists.',
      );
      assert.equal((await call('DELETE', `/api/clients/${c.id}/`)).statusCode, 204);
      assert.equal((await call('DELETE', `/api/clients/${c.id}/`)).statusCode, 404);
      const notAllowed = await call('POST', `/api/clients/${c.id}/`, {});
      assert.equal(notAllowed.statusCode, 405);
      assert.deepEqual(notAllowed.json(), { detail: 'Method "POST" not allowed.' });
    });

    test('mailings: create (starts at once), validate, read, change, statistics, messages, delete', async () => {
      for (const p of ['79161110001', '79161110002', '79031110003'])
        await call('POST', '/api/clients/', { phone_number: p, tag: 'm', timezone: 'Europe/Moscow' });
      const start = new Date(T0 - HOUR).toISOString();
      const end = new Date(T0 + 10 * HOUR).toISOString();
      const r = await call('POST', '/api/mailings/', {
        date_start: start,
        date_end: end,
        text: 'Sale!',
        tag: 'm',
        mobile_operator_code: '916',
        time_interval_start: '09:00',
        time_interval_end: '21:00:00',
      });
      assert.equal(r.statusCode, 201, r.body);
      const m = r.json();
      assert.deepEqual(
        { ...m, id: undefined },
        {
          id: undefined,
          date_start: '2026-01-10T11:00:00Z',
          date_end: '2026-01-10T22:00:00Z',
          text: 'Sale!',
          tag: 'm',
          mobile_operator_code: '916',
          time_interval_start: '09:00:00',
          time_interval_end: '21:00:00',
          time_start: '09:00:00',
          time_end: '21:00:00',
        },
      );
      await h.rt.scheduler!.tick();
      const info = (await call('GET', `/api/mailings/${m.id}/info/`)).json();
      assert.equal(info.length, 2);
      assert.deepEqual(Object.keys(info[0]).sort(), [
        'client',
        'date_create',
        'id',
        'mailing',
        'sending_status',
        'state',
      ]);
      assert.equal(info[0].mailing, m.id);
      assert.equal(info[0].sending_status, 'no sent');
      assert.equal(info[0].state, 'queued');

      const cases: [unknown, Record<string, string[]>][] = [
        [
          {},
          {
            date_start: ['This field is required.'],
            date_end: ['This field is required.'],
            text: ['This field is required.'],
          },
        ],
        [{ date_start: 'tomorrow', date_end: end, text: 'x' }, { date_start: [DATETIME] }],
        [{ date_start: end, date_end: start, text: 'x' }, { date_end: ['Must be later than date_start.'] }],
        [
          { date_start: start, date_end: end, text: 'x'.repeat(256), mobile_operator_code: '12345' },
          {
            text: ['Ensure this field has no more than 255 characters.'],
            mobile_operator_code: ['Ensure this field has no more than 3 characters.'],
          },
        ],
        [
          { date_start: start, date_end: end, text: 'x', time_interval_start: '25:00' },
          { time_interval_start: ['Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]].'] },
        ],
        [
          { date_start: start, date_end: end, text: 'x', time_interval_start: '10:00' },
          { time_interval_end: ['Required when time_interval_start is set.'] },
        ],
      ];
      for (const [body, errors] of cases) {
        const bad = await call('POST', '/api/mailings/', body);
        assert.equal(bad.statusCode, 400, JSON.stringify(body));
        assert.deepEqual(bad.json(), errors);
      }

      const list = (await call('GET', '/api/mailings/')).json();
      assert.deepEqual(
        list.map((x: { id: string }) => x.id),
        [m.id],
      );
      assert.deepEqual((await call('GET', `/api/mailings/${m.id}/`)).json(), m);
      const patched = await call('PATCH', `/api/mailings/${m.id}/`, { text: 'Bigger sale!' });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json().text, 'Bigger sale!');
      assert.equal(patched.json().tag, 'm');
      const msgs = (await call('GET', `/api/messages/?mailing=${m.id}`)).json();
      assert.equal(msgs.length, 2);
      const one = await h.rt.store.messages.get(msgs[0].id);
      assert.equal(one?.text, 'Bigger sale!');
      assert.deepEqual((await call('GET', `/api/messages/${msgs[0].id}/`)).json(), msgs[0]);
      assert.equal((await call('GET', '/api/messages/')).json().length, 2);
      const put = await call('PUT', `/api/mailings/${m.id}/`, { date_start: start, date_end: end, text: 'Replaced' });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal(put.json().tag, '');
      assert.equal(put.json().time_interval_start, null);
      // The seed model's names for the window are accepted too.
      const alias = await call('PATCH', `/api/mailings/${m.id}/`, { time_start: '22:00', time_end: '06:00' });
      assert.equal(alias.json().time_interval_start, '22:00:00');
      assert.equal(alias.json().time_end, '06:00:00');

      // Statistics grouped by status.
      await h.rt.store.messages.changeState(msgs[0].id, { to: 'cancelled', at: T0, source: 't', type: 't' });
      const full = (await call('GET', '/api/mailings/fullinfo/')).json();
      assert.equal(full['Total number of mailings'], 1);
      assert.deepEqual(full['The number of messages sent'][m.id], {
        'Total messages': 2,
        Sent: 0,
        'No sent': 2,
        'By state': { queued: 1, cancelled: 1 },
      });
      assert.equal((await call('DELETE', '/api/mailings/fullinfo/')).statusCode, 405);
      assert.equal((await call('POST', '/api/messages/', {})).statusCode, 405);
      assert.deepEqual((await call('GET', '/api/nothing/')).json(), { detail: 'Not found.' });

      assert.equal((await call('DELETE', `/api/mailings/${m.id}/`)).statusCode, 204);
      assert.equal((await call('GET', `/api/mailings/${m.id}/`)).statusCode, 404);
      assert.equal((await call('GET', `/api/mailings/${m.id}/info/`)).statusCode, 404);
      const left = await h.rt.store.messages.get(msgs[1].id);
      assert.equal(left?.state, 'cancelled');
    });
  });
}
