import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { writeHeraldConfig } from './config-file.ts';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

for (const backend of BACKENDS) {
  describe(`generic receipts (seed 000 format): ${backend}`, () => {
    let h: TestHerald;
    let gateway: Awaited<ReturnType<typeof startSink>>;
    before(async () => {
      gateway = await startSink(() => ({ status: 202, body: '{"queued":true}' }));
      h = await startHerald({
        backend,
        env: {
          HERALD_CONFIG: writeHeraldConfig({
            providers: [
              { name: 'gw', channel: 'email', type: 'http', url: `${gateway.url}/mail` },
              {
                name: 'locked',
                channel: 'email',
                type: 'http',
                url: `${gateway.url}/mail`,
                webhookPassword: 'hunter2',
              },
            ],
            routes: { email: ['gw'] },
          }),
        },
      });
    });
    after(async () => {
      await h.stop();
      await gateway.close();
    });

    let n = 0;
    /** Sends an e-mail through `provider` and waits until the gateway accepted it (`sent`). */
    async function sent(provider = 'gw'): Promise<string> {
      // A fresh recipient each time: a bounce puts its address on the suppression list.
      const to = `user${++n}@example.com`;
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: {
          channel: 'email',
          to,
          from: 'shop@example.com',
          subject: 'S',
          text: 'T',
          provider,
        },
      });
      const id = r.json().id as string;
      await eventually(async () => ((await state(id)) === 'sent' ? true : undefined));
      return id;
    }
    const state = async (id: string) =>
      (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<{ state: string }>().state;
    /** A receipt; `gw` has no password, so its receipts need the API key (sent unless `headers` says otherwise). */
    const receipt = (provider: string, payload: unknown, headers: Record<string, string> = {}) =>
      h.inject({
        method: 'POST',
        url: `/v1/providers/${provider}/events`,
        payload: payload as object,
        headers: provider === 'locked' ? headers : { ...h.auth, ...headers },
      });

    test('the http provider posts seed 000 JSON and the message waits in sent', async () => {
      const id = await sent();
      const req = gateway.requests.find((r) => r.body.includes(id))!;
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/mail');
      assert.deepEqual(JSON.parse(req.body), {
        id,
        sender: 'shop@example.com',
        recipient: 'user1@example.com',
        subject: 'S',
        html: null,
        text: 'T',
      });
    });

    test('DELIVERED moves sent → delivered; a later FAILED does not overwrite the final state', async () => {
      const id = await sent();
      const r = await receipt('gw', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { received: 1, changed: 1, unchanged: 0 });
      assert.equal(await state(id), 'delivered');
      const late = await receipt('gw', { ID: id, STATUS: 'FAILED' });
      assert.equal(late.statusCode, 200);
      assert.deepEqual(late.json(), { received: 1, changed: 0, unchanged: 1 });
      assert.equal(await state(id), 'delivered');
      const d = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
      assert.ok(
        d.events.some((e: { type: string; source: string }) => e.type === 'receipt.failed' && e.source === 'gw'),
      );
    });

    test('a receipt that settles a message counts in the dashboard and the metrics', async () => {
      const deliveredOf = async () => {
        const o = (await h.inject({ url: '/v1/stats/overview?windowMinutes=60', headers: h.auth })).json();
        return JSON.stringify(o);
      };
      const metric = async () => {
        const m = /herald_messages_delivered_total\{channel="email",provider="gw"\} (\d+)/.exec(
          (await h.inject({ url: '/metrics', headers: h.auth })).body,
        );
        return Number(m?.[1] ?? 0);
      };
      const before = await metric();
      const id = await sent();
      const r = await receipt('gw', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(r.statusCode, 200);
      assert.equal(await metric(), before + 1);
      assert.match(await deliveredOf(), /"delivered":[1-9]/);
    });

    test('JSON sent as text/plain is read as JSON', async () => {
      const id = await sent();
      const r = await h.inject({
        method: 'POST',
        url: '/v1/providers/gw/events',
        payload: JSON.stringify({ ID: id, STATUS: 'DELIVERED' }),
        headers: { ...h.auth, 'content-type': 'text/plain' },
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(await state(id), 'delivered');
    });

    test('an array of receipts: REJECTED → bounced, FAILED → failed', async () => {
      const a = await sent();
      const b = await sent();
      const r = await receipt('gw', [
        { ID: a, STATUS: 'REJECTED' },
        { ID: b, STATUS: 'FAILED' },
      ]);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(await state(a), 'bounced');
      assert.equal(await state(b), 'failed');
    });

    test('an unknown id answers 404 and changes nothing, not even the known ones beside it', async () => {
      const id = await sent();
      const r = await receipt('gw', [
        { ID: id, STATUS: 'DELIVERED' },
        { ID: '01900000-0000-7000-8000-000000000000', STATUS: 'DELIVERED' },
      ]);
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error.code, 'HERALD_UNKNOWN_MESSAGE');
      assert.deepEqual(r.json().error.details.unknown, ['01900000-0000-7000-8000-000000000000']);
      assert.equal(await state(id), 'sent');
    });

    test('malformed receipts are 400 and an unknown provider 404', async () => {
      const id = await sent();
      const bad = await receipt('gw', { ID: id, STATUS: 'LOST' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'HERALD_BAD_RECEIPT');
      const notJson = await h.inject({
        method: 'POST',
        url: '/v1/providers/gw/events',
        payload: '{nope',
        headers: { ...h.auth, 'content-type': 'application/json' },
      });
      assert.equal(notJson.statusCode, 400);
      const text = await h.inject({
        method: 'POST',
        url: '/v1/providers/gw/events',
        payload: 'ID=x',
        headers: { ...h.auth, 'content-type': 'text/plain' },
      });
      assert.equal(text.statusCode, 400);
      assert.equal(text.json().error.code, 'HERALD_BAD_RECEIPT');
      const nobody = await receipt('nobody', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(nobody.statusCode, 404);
      assert.equal(nobody.json().error.code, 'HERALD_UNKNOWN_PROVIDER');
      assert.equal(await state(id), 'sent');
    });

    test('with webhookPassword, basic auth is required (any user name)', async () => {
      const id = await sent('locked');
      const none = await receipt('locked', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.code, 'HERALD_BAD_SIGNATURE');
      assert.match(String(none.headers['www-authenticate']), /^Basic /);
      const wrong = await receipt('locked', { ID: id, STATUS: 'DELIVERED' }, { authorization: basic('x', 'hunter3') });
      assert.equal(wrong.statusCode, 401);
      assert.equal(await state(id), 'sent');
      const right = await receipt(
        'locked',
        { ID: id, STATUS: 'DELIVERED' },
        { authorization: basic('anyone', 'hunter2') },
      );
      assert.equal(right.statusCode, 200, right.body);
      assert.equal(await state(id), 'delivered');
    });

    test('without a password, generic receipts need an API key; the password route needs none', async () => {
      const id = await sent();
      for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: basic('x', 'y') }]) {
        const r = await h.inject({
          method: 'POST',
          url: '/v1/providers/gw/events',
          payload: { ID: id, STATUS: 'REJECTED' },
          headers,
        });
        assert.equal(r.statusCode, 401, JSON.stringify(headers));
        assert.equal(r.json().error.code, 'HERALD_UNAUTHORIZED');
        assert.equal(r.headers['www-authenticate'], 'Bearer');
      }
      assert.equal(await state(id), 'sent');
      assert.equal((await h.inject({ url: '/v1/providers' })).statusCode, 401, 'the rest of the API still needs a key');
    });

    test('a receipt applies only to messages that provider carried', async () => {
      const viaLocked = await sent('locked');
      const r = await receipt('gw', { ID: viaLocked, STATUS: 'DELIVERED' });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error.code, 'HERALD_UNKNOWN_MESSAGE');
      assert.deepEqual(r.json().error.details.unknown, [viaLocked]);
      assert.equal(await state(viaLocked), 'sent');
      // A webhook message (never carried by an e-mail provider) is refused the same way.
      const hook = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'webhook', url: `${gateway.url}/hook` },
      });
      assert.equal((await receipt('gw', { ID: hook.json().id, STATUS: 'FAILED' })).statusCode, 404);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`receipts to the default outboxes: ${backend}`, () => {
    let h: TestHerald;
    before(async () => {
      h = await startHerald({ backend });
    });
    after(() => h.stop());

    const deliveredSms = async (to: string) => {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'sms', to, text: 'hi' },
      });
      const id = r.json().id as string;
      await eventually(() => h.rt.store.messages.get(id).then((m) => (m?.state === 'delivered' ? m : undefined)));
      return id;
    };
    const post = (provider: string, payload: object, headers: Record<string, string> = h.auth) =>
      h.inject({ method: 'POST', url: `/v1/providers/${provider}/events`, headers, payload });
    const suppressed = async () =>
      (await h.inject({ url: '/v1/suppressions', headers: h.auth }))
        .json()
        .items.map((s: { recipient: string }) => s.recipient);

    test('without a key nobody can post to outbox-email, and an SMS id sent there is refused', async () => {
      const id = await deliveredSms('+79001112233');
      const anon = await post('outbox-email', { ID: id, STATUS: 'REJECTED' }, {});
      assert.equal(anon.statusCode, 401);
      const keyed = await post('outbox-email', { ID: id, STATUS: 'REJECTED' });
      assert.equal(keyed.statusCode, 404, keyed.body);
      assert.equal(keyed.json().error.code, 'HERALD_UNKNOWN_MESSAGE');
      assert.deepEqual(await suppressed(), [], 'the SMS recipient is not suppressed');
      const next = await deliveredSms('+79001112233');
      assert.equal((await h.rt.store.messages.get(next))?.state, 'delivered', 'their next message is delivered');
    });

    test('the outbox that carried a message takes its receipt with a key', async () => {
      const id = await deliveredSms('+79001112244');
      const r = await post('outbox-sms', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { received: 1, changed: 0, unchanged: 1 });
    });
  });
}
