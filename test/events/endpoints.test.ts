import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { BACKENDS } from '../helpers/stores.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink, type SinkRequest } from '../helpers/http-sink.ts';

/** Verifies one received event with both official receiver libraries; throws if either refuses. */
function verifyBoth(secret: string, r: SinkRequest): void {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  new StandardWebhook(secret).verify(r.body, headers);
  new SvixWebhook(secret).verify(r.body, headers);
}

function refusedByBoth(secret: string, r: SinkRequest): boolean {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  const refused = (f: () => unknown) => {
    try {
      f();
      return false;
    } catch {
      return true;
    }
  };
  return (
    refused(() => new StandardWebhook(secret).verify(r.body, headers)) &&
    refused(() => new SvixWebhook(secret).verify(r.body, headers))
  );
}

const types = (reqs: SinkRequest[]) => reqs.map((r) => (JSON.parse(r.body) as { type: string }).type);

for (const backend of BACKENDS) {
  describe(`event endpoints: ${backend}`, () => {
    const running: TestHerald[] = [];
    after(async () => {
      for (const h of running) await h.stop();
    });
    const start = async (env: Record<string, string> = {}) => {
      const h = await startHerald({ backend, env: { HERALD_RETRY_SCHEDULE: '0,50ms,50ms', ...env } });
      running.push(h);
      return h;
    };

    test('events reach the endpoint signed; standardwebhooks and svix verify each, also across a rotation', async (t) => {
      const h = await start();
      const receiver = await startSink(() => ({ status: 204 }), t);
      const target = await startSink(() => ({ status: 200 }), t);
      const created = await h.inject({
        method: 'POST',
        url: '/v1/endpoints',
        headers: h.auth,
        payload: {
          url: `${receiver.url}/events`,
          events: ['message.accepted', 'message.delivered'],
          description: 'crm',
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      const { endpoint, secret } = created.json<{ endpoint: { id: string }; secret: string }>();
      assert.match(secret, /^whsec_/);

      const send = async (n: number) => {
        const r = await h.inject({
          method: 'POST',
          url: '/v1/messages',
          headers: h.auth,
          payload: { channel: 'webhook', url: `${target.url}/m${n}`, body: { n }, metadata: { order: n } },
        });
        assert.equal(r.statusCode, 202, r.body);
        return r.json<{ id: string }>().id;
      };
      const id1 = await send(1);
      await eventually(() => (receiver.requests.length >= 2 ? true : undefined), 10_000, 'two events');
      assert.deepEqual(types(receiver.requests).sort(), ['message.accepted', 'message.delivered']);
      for (const r of receiver.requests) {
        verifyBoth(secret, r);
        const body = JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> };
        assert.equal(body.data.id, id1);
        assert.equal(body.data.channel, 'webhook');
        assert.deepEqual(body.data.metadata, { order: 1 });
        assert.match(String(r.headers['webhook-id']), /^evt_/);
      }
      const delivered = JSON.parse(receiver.requests.find((r) => r.body.includes('message.delivered'))!.body);
      assert.equal(delivered.data.state, 'delivered');
      assert.equal(delivered.data.attempts, 1);

      const rotated = await h.inject({
        method: 'POST',
        url: `/v1/endpoints/${endpoint.id}/rotate-secret`,
        headers: h.auth,
      });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const newSecret = rotated.json<{ secret: string }>().secret;
      assert.notEqual(newSecret, secret);
      await send(2);
      await eventually(() => (receiver.requests.length >= 4 ? true : undefined), 10_000, 'events after rotation');
      for (const r of receiver.requests.slice(2)) {
        assert.equal(String(r.headers['webhook-signature']).split(' ').length, 2, 'two signatures during the overlap');
        verifyBoth(secret, r);
        verifyBoth(newSecret, r);
      }
      // A secret that never belonged to the endpoint is refused by both libraries (the check can fail).
      assert.ok(refusedByBoth('whsec_' + Buffer.alloc(24, 7).toString('base64'), receiver.requests[3]!));

      const audit = await h.inject({ method: 'GET', url: '/v1/audit?action=endpoint', headers: h.auth });
      const actions = audit.json<{ items: { action: string }[] }>().items.map((i) => i.action);
      assert.ok(actions.includes('endpoint.create') && actions.includes('endpoint.rotate_secret'), actions.join());

      type Item = { state: string; attemptLog: { statusCode: number }[] };
      const items = await eventually(
        async () => {
          const list = await h.inject({
            method: 'GET',
            url: `/v1/endpoints/${endpoint.id}/deliveries`,
            headers: h.auth,
          });
          const got = list.json<{ items: Item[] }>().items;
          return got.length === 4 && got.every((d) => d.state !== 'sending') ? got : undefined;
        },
        10_000,
        'four settled deliveries',
      );
      for (const d of items) {
        assert.equal(d.state, 'delivered');
        assert.equal(d.attemptLog[0]!.statusCode, 204);
      }
      // Event deliveries are not messages: the message list holds the two webhooks only.
      const msgs = await h.inject({ method: 'GET', url: '/v1/messages', headers: h.auth });
      assert.equal(msgs.json<{ items: unknown[] }>().items.length, 2);
    });

    test('a per-message callback gets the events it asked for, signed with the callback secret', async (t) => {
      const cbSecret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');
      const h = await start({ HERALD_CALLBACK_SECRET: cbSecret });
      const receiver = await startSink(() => ({ status: 200 }), t);
      const target = await startSink(() => ({ status: 500 }), t);
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: {
          channel: 'webhook',
          url: `${target.url}/x`,
          maxAttempts: 2,
          callbackUrl: `${receiver.url}/cb`,
          callbackEvents: ['message.failed'],
        },
      });
      assert.equal(r.statusCode, 202, r.body);
      await eventually(() => (receiver.requests.length >= 1 ? true : undefined), 10_000, 'the callback');
      assert.deepEqual(types(receiver.requests), ['message.failed']);
      verifyBoth(cbSecret, receiver.requests[0]!);
      const data = JSON.parse(receiver.requests[0]!.body).data;
      assert.equal(data.state, 'failed');
      assert.equal(data.attempts, 2);
      assert.match(String(data.reason), /HTTP 500/);
    });

    test('a failing endpoint retries on the schedule; replay of the failed ones sends them again', async (t) => {
      const h = await start();
      let healthy = false;
      const receiver = await startSink(() => ({ status: healthy ? 200 : 503 }), t);
      const made = await h.inject({
        method: 'POST',
        url: '/v1/endpoints',
        headers: h.auth,
        payload: { url: receiver.url, events: ['message.cancelled'] },
      });
      const ep = made.json<{ endpoint: { id: string } }>().endpoint;
      const since = new Date(Date.now() - 1000).toISOString();
      const m = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: {
          channel: 'webhook',
          url: 'http://127.0.0.1:9/never',
          sendAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      });
      const id = m.json<{ id: string }>().id;
      const c = await h.inject({ method: 'POST', url: `/v1/messages/${id}/cancel`, headers: h.auth });
      assert.equal(c.statusCode, 200, c.body);
      const failed = await eventually(
        async () => {
          const l = await h.inject({
            method: 'GET',
            url: `/v1/endpoints/${ep.id}/deliveries?state=failed`,
            headers: h.auth,
          });
          const items = l.json<{ items: { attempts: number; attemptLog: unknown[]; eventId: string }[] }>().items;
          return items.length === 1 ? items[0] : undefined;
        },
        10_000,
        'the delivery to fail',
      );
      assert.equal(failed.attempts, 3);
      assert.equal(failed.attemptLog.length, 3);
      assert.equal(receiver.requests.length, 3);
      const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
      assert.equal(ids.size, 1, 'every retry carries the same webhook-id');

      healthy = true;
      const replay = await h.inject({
        method: 'POST',
        url: `/v1/endpoints/${ep.id}/replay`,
        headers: h.auth,
        payload: { since },
      });
      assert.equal(replay.statusCode, 202, replay.body);
      assert.equal(replay.json<{ count: number }>().count, 1);
      await eventually(() => (receiver.requests.length === 4 ? true : undefined), 10_000, 'the replay');
      assert.equal(receiver.requests[3]!.headers['webhook-id'], failed.eventId);
      const again = await h.inject({
        method: 'POST',
        url: `/v1/endpoints/${ep.id}/replay`,
        headers: h.auth,
        payload: { since },
      });
      assert.equal(again.json<{ count: number }>().count, 0, 'nothing failed is left to replay');
    });
  });
}
