import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from './helpers/herald.ts';
import { BACKENDS } from './helpers/stores.ts';
import type { NewMessage } from '../src/domain/message.ts';
import { recipientHash } from '../src/domain/recipients.ts';

function message(recipient: string, over: Partial<NewMessage> = {}): NewMessage {
  const email = recipient.includes('@');
  return {
    channel: email ? 'email' : 'sms',
    recipient,
    sender: email ? 'shop@example.com' : undefined,
    subject: email ? 'Hi' : undefined,
    text: 'Hello',
    priority: 0,
    categories: 0,
    lane: 'p1',
    provider: 'p1',
    dueAt: 0,
    maxAttempts: 3,
    ...over,
  };
}

/** DELETE /v1/recipients/{recipient} (GDPR Art. 17) on both stores. */
for (const backend of BACKENDS) {
  void describe(`erasure: ${backend}`, () => {
    const started: TestHerald[] = [];
    after(async () => {
      for (const h of started) await h.stop();
    });
    const start = async () => {
      const h = await startHerald({ backend, roles: ['api'] });
      started.push(h);
      return h;
    };
    const call = (h: TestHerald, method: string, url: string, payload?: object) =>
      h.inject({ method: method as 'GET', url, headers: h.auth, ...(payload ? { payload } : {}) });

    /** Every message gets an attempt and two events (claimed, then failed by the "provider"). */
    async function deliverAll(h: TestHerald): Promise<void> {
      const now = Date.now();
      const claimed = await h.rt.store.messages.claim({ owner: 't', limit: 1000, now: now + 1000, leaseMs: 60_000 });
      await h.rt.store.messages.complete(
        claimed.map((m) => ({
          id: m.id,
          owner: 't',
          to: 'failed' as const,
          at: now,
          countsAttempt: true,
          attempt: {
            number: 1,
            provider: 'p1',
            startedAt: now,
            durationMs: 5,
            outcome: 'permanent' as const,
            statusCode: 550,
            response: null,
            error: 'no such user',
          },
          event: { type: 'failed', source: 'test' },
        })),
      );
    }

    void test('erases every message, contact, preference and audit mention of the address; the suppression stays as a hash', async () => {
      const h = await start();
      const s = h.rt.store;
      await s.messages.insertMany(
        [
          ...Array.from({ length: 520 }, () => message('Ann@Example.com')), // more than one page
          message('ann@example.com'),
          message('ANN@EXAMPLE.COM'),
          message('bob@example.com'),
          message('+79001112233'),
        ],
        Date.now(),
      );
      await deliverAll(h);
      await s.contacts.insertMany(
        [
          {
            phone: '79005556677',
            email: 'ANN@example.com',
            timezone: 'UTC',
            operatorCode: null,
            tag: null,
            attributes: {},
          },
          { phone: '79001112233', email: null, timezone: 'UTC', operatorCode: null, tag: null, attributes: {} },
        ],
        Date.now(),
      );
      assert.equal((await call(h, 'PUT', '/v1/preferences/Ann@Example.com', { optOut: 4 })).statusCode, 200);
      const sup = await call(h, 'POST', '/v1/suppressions', { recipient: 'ann@example.com', reason: 'hard bounce' });
      assert.equal(sup.statusCode, 201, sup.body);

      const r = await call(h, 'DELETE', '/v1/recipients/ann@EXAMPLE.com');
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), {
        recipient: 'ann@example.com',
        messages: 522,
        attempts: 522,
        events: 522,
        contacts: 1,
        preferences: 1,
        suppression: 'hashed',
        auditEntries: 2,
      });

      // Nothing of Ann is left; Bob and the phone number are untouched.
      const left = await s.messages.list({}, 100);
      assert.deepEqual(left.items.map((m) => m.recipient).sort(), ['+79001112233', 'bob@example.com']);
      const contacts = await s.contacts.list({}, 10);
      assert.deepEqual(
        contacts.items.map((c) => c.phone),
        ['79001112233'],
      );
      assert.equal((await call(h, 'GET', '/v1/preferences/ann@example.com')).json().updatedAt, null);
      const audit = await call(h, 'GET', '/v1/audit?limit=100');
      assert.doesNotMatch(audit.body, /ann@example\.com/i, 'the audit log no longer names the address');
      const entry = audit.json().items.find((e: { action: string }) => e.action === 'recipient.erase');
      assert.equal(entry.objectId, recipientHash('ann@example.com'));
      assert.equal(entry.detail.messages, 522);

      // The suppression entry stays, under the hash: the address is still blocked.
      const list = (await call(h, 'GET', '/v1/suppressions')).json().items;
      assert.deepEqual(
        list.map((e: { recipient: string }) => e.recipient),
        [recipientHash('ann@example.com')],
      );
      assert.doesNotMatch(JSON.stringify(list), /ann@/i);
      assert.equal((await call(h, 'GET', '/v1/suppressions/Ann@example.com')).statusCode, 200);
      const again = await call(h, 'POST', '/v1/messages', {
        channel: 'email',
        to: 'ANN@example.com',
        from: 'shop@example.com',
        subject: 'Back?',
        text: 'x',
      });
      assert.equal(again.statusCode, 202);
      assert.equal(again.json().state, 'suppressed', 'a bounced address stays blocked after erasure');

      // Idempotent: a second erasure removes the message just refused, and keeps the hashed entry.
      const twice = (await call(h, 'DELETE', '/v1/recipients/ann@example.com')).json();
      assert.deepEqual([twice.messages, twice.contacts, twice.preferences, twice.suppression], [1, 0, 0, 'hashed']);
      // An operator can still lift the block by the address.
      assert.equal((await call(h, 'DELETE', '/v1/suppressions/ann@example.com')).statusCode, 204);
      assert.equal((await call(h, 'GET', '/v1/suppressions')).json().items.length, 0);
    });

    void test('a phone number: messages and contacts with or without +; none suppressed is "none"', async () => {
      const h = await start();
      const s = h.rt.store;
      await s.messages.insertMany(
        [message('+79001112233'), message('79001112233'), message('+79009998877')],
        Date.now(),
      );
      await s.contacts.insertMany(
        [{ phone: '79001112233', email: null, timezone: 'UTC', operatorCode: null, tag: null, attributes: {} }],
        Date.now(),
      );
      const r = await call(h, 'DELETE', '/v1/recipients/+7%20(900)%20111-22-33');
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().recipient, '+79001112233');
      assert.equal(r.json().messages, 2);
      assert.equal(r.json().contacts, 1);
      assert.equal(r.json().suppression, 'none');
      assert.deepEqual(
        (await s.messages.list({}, 10)).items.map((m) => m.recipient),
        ['+79009998877'],
      );
    });

    void test('status-event deliveries about the erased messages go too (their payloads name the recipient)', async () => {
      const h = await start();
      const s = h.rt.store;
      const { endpoint } = await s.endpoints.create(
        { url: 'https://receiver.example/hook', events: ['message.failed'] },
        Date.now(),
      );
      await s.messages.insertMany([message('ann@example.com'), message('bob@example.com')], Date.now());
      await deliverAll(h);
      // The PostgreSQL outbox reads events below the oldest running transaction of the cluster
      // (docs/decisions/0023): another session's open transaction may hold a dispatch back a moment.
      for (let i = 0; i < 50 && (await s.eventDeliveries.list(endpoint.id, {}, 10)).items.length < 2; i++) {
        await s.eventDeliveries.dispatch(Date.now(), 100, 3);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await s.eventDeliveries.list(endpoint.id, {}, 10)).items.length, 2, 'one delivery per failure');

      const r = await call(h, 'DELETE', '/v1/recipients/ann@example.com');
      assert.equal(r.statusCode, 200, r.body);
      const left = (await s.eventDeliveries.list(endpoint.id, {}, 10)).items;
      assert.equal(left.length, 1);
      assert.doesNotMatch(JSON.stringify(left), /ann@/i);
    });

    void test('needs a contacts key', async () => {
      const h = await start();
      const r = await h.inject({ method: 'DELETE', url: '/v1/recipients/ann@example.com' });
      assert.equal(r.statusCode, 401);
    });
  });
}
