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
    const receipt = (provider: string, payload: unknown, headers: Record<string, string> = {}) =>
      h.inject({ method: 'POST', url: `/v1/providers/${provider}/events`, payload: payload as object, headers });

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
        headers: { 'content-type': 'text/plain' },
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
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(notJson.statusCode, 400);
      const text = await h.inject({
        method: 'POST',
        url: '/v1/providers/gw/events',
        payload: 'ID=x',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(text.statusCode, 400);
      assert.equal(text.json().error.code, 'HERALD_BAD_RECEIPT');
      const nobody = await receipt('nobody', { ID: id, STATUS: 'DELIVERED' });
      assert.equal(nobody.statusCode, 404);
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

    test('the receipts endpoint needs no API key but the rest of the API still does', async () => {
      const r = await h.inject({ url: '/v1/providers' });
      assert.equal(r.statusCode, 401);
    });
  });
}
