import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { startFbrqFake } from '../fakes/fbrq.fake.ts';
import { startSendgridFake } from '../fakes/sendgrid.fake.ts';
import { startSmsBatchFake } from '../fakes/sms-batch.fake.ts';
import { startTwilioFake } from '../fakes/twilio.fake.ts';
import { closedPort, writeHeraldConfig } from './config-file.ts';

/**
 * The HTTP provider adapters end to end: Herald configured by a HERALD_CONFIG file, delivering to
 * the fakes, and the fakes posting receipts back to Herald's receipts endpoint over real HTTP.
 * Herald listens on a port reserved beforehand, because receipt URLs go into the config.
 */
type Detail = {
  state: string;
  provider: string;
  providerMessageId: string | null;
  attemptCount: number;
  engagement: { opened: boolean };
  events: { type: string; source: string }[];
};

for (const backend of BACKENDS) {
  describe(`HTTP providers end to end: ${backend}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    /** Starts Herald listening on `port` with these providers. */
    async function herald(port: number, providers: object[], env: Record<string, string> = {}): Promise<TestHerald> {
      const h = await startHerald({
        backend,
        env: { HERALD_CONFIG: writeHeraldConfig({ providers }), HERALD_RETRY_SCHEDULE: '0,20ms', ...env },
      });
      cleanup.push(() => h.stop());
      await h.rt.app!.listen({ port, host: '127.0.0.1' });
      return h;
    }
    const send = async (h: TestHerald, payload: object) => {
      const r = await h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload });
      assert.equal(r.statusCode, 202, r.body);
      return r.json().id as string;
    };
    const detail = async (h: TestHerald, id: string) =>
      (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<Detail>();
    const reaches = (h: TestHerald, id: string, state: string) =>
      eventually(
        async () => {
          const m = await detail(h, id);
          return m.state === state ? m : undefined;
        },
        10_000,
        `${id} ${state}`,
      );

    test('sms-batch: messages go in batches and signed status updates move them to delivered/failed', async () => {
      const port = await closedPort();
      const fake = await startSmsBatchFake({ token: 'k', secret: 'whsec', autoUpdatesMs: 20 });
      cleanup.push(() => fake.close());
      const h = await herald(port, [
        {
          name: 'bulk',
          channel: 'sms',
          type: 'sms-batch',
          baseUrl: fake.url,
          token: 'k',
          batchSize: 10,
          lingerMs: 150,
          maxAttempts: 5,
          statusCallbackUrl: `http://127.0.0.1:${port}/v1/providers/bulk/events`,
          webhookSecret: 'whsec',
        },
      ]);
      const tos = Array.from({ length: 25 }, (_, i) => `+7900${String(1000001 + i)}`);
      tos[3] = '+79001230000'; // the fake fails numbers ending in 0000
      const ids = await Promise.all(tos.map((to) => send(h, { channel: 'sms', to, text: 'Code 1234' })));
      const failed = await reaches(h, ids[3]!, 'failed');
      for (const [i, id] of ids.entries()) if (i !== 3) await reaches(h, id, 'delivered');
      // 25 messages, batches of 10: three calls, plus at most one per linger flush.
      assert.ok(fake.batches.length >= 3 && fake.batches.length <= 5, `calls: ${fake.batches.length}`);
      assert.equal(fake.batches.flatMap((b) => b.ids).length, 25);
      assert.ok(failed.events.some((e) => e.type === 'sms-batch.failed'));
      assert.ok(fake.deliveries.every((d) => d.status === 200));
    });

    test('sms-batch: an update with a bad signature is refused and changes nothing', async () => {
      const port = await closedPort();
      const fake = await startSmsBatchFake({ token: 'k', secret: 'whsec' });
      cleanup.push(() => fake.close());
      const h = await herald(port, [
        {
          name: 'bulk',
          channel: 'sms',
          type: 'sms-batch',
          baseUrl: fake.url,
          token: 'k',
          lingerMs: 0,
          webhookSecret: 'whsec',
        },
      ]);
      const id = await send(h, { channel: 'sms', to: '+79001234567', text: 'Hi' });
      await reaches(h, id, 'sent');
      const url = `http://127.0.0.1:${port}/v1/providers/bulk/events`;
      const update = { id, batchId: 'b', status: 'DELIVERED' as const, at: new Date().toISOString() };
      assert.equal(await fake.postUpdates(url, [update], 'another-secret'), 401);
      assert.equal((await detail(h, id)).state, 'sent');
      assert.equal(await fake.postUpdates(url, [update]), 200);
      assert.equal((await detail(h, id)).state, 'delivered');
    });

    test('fbrq: slow, failing and lying for a while, then recovering: still delivered, API responsive', async () => {
      const port = await closedPort();
      const fake = await startFbrqFake({ token: 'jwt' });
      cleanup.push(() => fake.close());
      const h = await herald(
        port,
        [
          {
            name: 'probe',
            channel: 'sms',
            type: 'fbrq',
            baseUrl: fake.url,
            token: 'jwt',
            timeoutMs: 200,
            maxAttempts: 20,
          },
        ],
        // The message's own budget (HERALD_MAX_ATTEMPTS at ingest) is what the worker spends; the
        // provider's maxAttempts does not reach it (see the report).
        { HERALD_BREAKER_THRESHOLD: '100', HERALD_MAX_ATTEMPTS: '20' },
      );
      fake.setMode('slow', { delayMs: 1_000, times: 2 });
      const slowId = await send(h, { channel: 'sms', to: '+79001234567', text: 'slow' });
      const started = performance.now();
      const other = await h.inject({ url: '/v1/messages?limit=1', headers: h.auth });
      assert.equal(other.statusCode, 200);
      assert.ok(performance.now() - started < 500, 'the API answers while the provider hangs');
      const slow = await reaches(h, slowId, 'delivered');
      assert.ok(slow.attemptCount >= 3, `attempts: ${slow.attemptCount}`);
      fake.setMode('fail', { status: 502, times: 2 });
      const failingId = await send(h, { channel: 'sms', to: '+79001234568', text: 'failing' });
      assert.ok((await reaches(h, failingId, 'delivered')).attemptCount >= 3);
      fake.setMode('garbage', { times: 2 });
      const lyingId = await send(h, { channel: 'sms', to: '+79001234569', text: 'lying' });
      const lying = await reaches(h, lyingId, 'delivered');
      assert.ok(lying.attemptCount >= 3);
      assert.equal(fake.sent.filter((s) => s.text === 'lying').length, 1);
      assert.ok(lying.providerMessageId && fake.sent.some((s) => s.id === lying.providerMessageId));
    });

    test('twilio: a status callback with a valid signature delivers; a forged one is refused', async () => {
      const port = await closedPort();
      const fake = await startTwilioFake({ authToken: 'tok' });
      cleanup.push(() => fake.close());
      const cb = `http://127.0.0.1:${port}/v1/providers/tw/events`;
      const h = await herald(port, [
        {
          name: 'tw',
          channel: 'sms',
          type: 'twilio',
          baseUrl: fake.url,
          accountSid: fake.accountSid,
          authToken: 'tok',
          from: '+15005550006',
          statusCallbackUrl: cb,
        },
      ]);
      const id = await send(h, { channel: 'sms', to: '+14155550100', text: 'Hi' });
      const sent = await reaches(h, id, 'sent');
      assert.equal(sent.providerMessageId, fake.sent[0]!.sid);
      const forged = await fake.postCallback(
        `${cb}?herald_id=${id}`,
        { MessageSid: String(sent.providerMessageId), MessageStatus: 'failed' },
        'not-the-token',
      );
      assert.equal(forged, 401);
      assert.deepEqual(await fake.flushCallbacks(), [200, 200]);
      const delivered = await reaches(h, id, 'delivered');
      assert.ok(delivered.events.some((e) => e.type === 'twilio.delivered' && e.source === 'tw'));
    });

    test('sendgrid: one request for identical content; signed events deliver and flag opens', async () => {
      const port = await closedPort();
      const fake = await startSendgridFake({
        apiKey: 'SG.k',
        eventsUrl: `http://127.0.0.1:${port}/v1/providers/sg/events`,
      });
      cleanup.push(() => fake.close());
      const h = await herald(port, [
        {
          name: 'sg',
          channel: 'email',
          type: 'sendgrid',
          apiKey: 'SG.k',
          baseUrl: fake.url,
          from: 'shop@example.com',
          lingerMs: 200,
          webhookPublicKey: fake.publicKey,
        },
      ]);
      const mail = (to: string) => ({ channel: 'email', to, from: 'shop@example.com', subject: 'Sale', text: 'Hi' });
      const ids = await Promise.all(['a@x.io', 'b@x.io', 'c@x.io'].map((to) => send(h, mail(to))));
      for (const id of ids) await reaches(h, id, 'sent');
      assert.equal(fake.mails.length, 1, 'three messages, one request');
      assert.equal(await fake.flushEvents(), 200);
      for (const id of ids) await reaches(h, id, 'delivered');
      const url = `http://127.0.0.1:${port}/v1/providers/sg/events`;
      assert.equal(await fake.postEvents(url, [{ event: 'open', email: 'a@x.io', herald_id: ids[0] }]), 200);
      assert.equal((await detail(h, ids[0]!)).engagement.opened, true);
      const bad = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      assert.equal(bad.statusCode, 401);
      await bad.body.text();
    });
  });
}
