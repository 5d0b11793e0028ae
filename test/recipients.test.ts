import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from './helpers/herald.ts';
import { BACKENDS } from './helpers/stores.ts';
import { applyReceipts } from '../src/services/receipts.ts';
import { Engagement } from '../src/domain/message.ts';

/** Moves every queued message to `sent`, as a provider's acceptance would (receipts come after it). */
async function markAllSent(h: TestHerald): Promise<void> {
  const now = Date.now();
  const claimed = await h.rt.store.messages.claim({ owner: 'test', limit: 100, now: now + 1000, leaseMs: 60_000 });
  await h.rt.store.messages.complete(
    claimed.map((m) => ({
      id: m.id,
      owner: 'test',
      to: 'sent',
      at: now,
      countsAttempt: true,
      event: { type: 'sent', source: 'test' },
    })),
  );
}

/** Preferences, the suppression list, screening at ingest and at send time, and "last by uniqueId", on both stores. */
for (const backend of BACKENDS) {
  void describe(`recipients: ${backend}`, () => {
    const started: TestHerald[] = [];
    const start = async (opts: Parameters<typeof startHerald>[0] = {}) => {
      const h = await startHerald({ backend, roles: ['api'], ...opts });
      started.push(h);
      return h;
    };
    after(async () => {
      for (const h of started) await h.stop();
    });
    const call = (h: TestHerald, method: string, url: string, payload?: unknown) =>
      h.inject({
        method: method as 'GET',
        url,
        headers: h.auth,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    const email = (to: string, over: Record<string, unknown> = {}) => ({
      channel: 'email',
      to,
      from: 'shop@example.com',
      subject: 'Hi',
      text: 'Hello',
      ...over,
    });

    void test('preferences: read, replace, postmaster flags rules, forget', async () => {
      const h = await start();
      let r = await call(h, 'GET', '/v1/preferences/Ann@Example.com');
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { recipient: 'ann@example.com', optOut: 0, updatedAt: null });
      r = await call(h, 'PUT', '/v1/preferences/Ann@Example.com', { optOut: 6 });
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().optOut, 6);
      r = await call(h, 'PUT', '/v1/preferences/ann@example.com', { flags: 1 });
      assert.equal(r.json().optOut, 1);
      assert.equal((await call(h, 'GET', '/v1/preferences/ANN@example.com')).json().optOut, 1);
      r = await call(h, 'PUT', '/v1/preferences/ann@example.com', { flags: 0 });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.code, 'HERALD_VALIDATION');
      assert.match(r.json().error.message, /must not be 0/);
      for (const bad of [{}, { optOut: 2, flags: 2 }, { optOut: -1 }, { optOut: 'x' }, { optOut: 1.5 }, { other: 1 }]) {
        const b = await call(h, 'PUT', '/v1/preferences/ann@example.com', bad);
        assert.equal(b.statusCode, 400, JSON.stringify(bad));
      }
      assert.equal((await call(h, 'DELETE', '/v1/preferences/ann@example.com')).statusCode, 204);
      assert.equal((await call(h, 'DELETE', '/v1/preferences/ann@example.com')).statusCode, 404);
      assert.equal((await call(h, 'GET', '/v1/preferences/ann@example.com')).json().optOut, 0);
    });

    void test('bit 1 is reserved on messages', async () => {
      const h = await start();
      const r = await call(h, 'POST', '/v1/messages', email('a@example.com', { categories: 3 }));
      assert.equal(r.statusCode, 400);
      assert.match(r.json().error.message, /categories bit 1 is reserved/);
    });

    void test('ingest: opted-out categories and suppressed recipients end suppressed at once, with the reason', async () => {
      const h = await start();
      await call(h, 'PUT', '/v1/preferences/bob@example.com', { optOut: 4 });
      await call(h, 'POST', '/v1/suppressions', { recipient: 'Eve@Example.com', reason: 'asked us' });
      const r = await call(h, 'POST', '/v1/messages/batch', {
        messages: [
          email('bob@example.com', { categories: 6 }),
          email('bob@example.com', { categories: 2 }),
          email('Bob@Example.com'),
          email('eve@example.COM'),
          email('carol@example.com', { categories: 4 }),
          { channel: 'webhook', url: 'http://127.0.0.1:9/x' },
        ],
      });
      assert.equal(r.statusCode, 202);
      const states = [];
      for (const id of r.json().ids as string[]) {
        const m = (await call(h, 'GET', `/v1/messages/${id}`)).json();
        states.push([m.state, m.reason]);
      }
      assert.deepEqual(states, [
        ['suppressed', 'recipient opted out of category 4'],
        ['queued', null],
        ['queued', null],
        ['suppressed', 'recipient is on the suppression list (api: asked us)'],
        ['queued', null],
        ['queued', null],
      ]);
      const one = await call(h, 'POST', '/v1/messages', email('bob@example.com', { categories: 4 }));
      assert.equal(one.json().state, 'suppressed');
    });

    void test('suppression list: add, repeat, read, page, remove', async () => {
      const h = await start();
      let r = await call(h, 'POST', '/v1/suppressions', { recipient: 'A@example.com', reason: 'complaint' });
      assert.equal(r.statusCode, 201);
      const added = r.json<Record<string, unknown>>();
      assert.match(String(added.createdAt), /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(
        { ...added, createdAt: 'x' },
        { recipient: 'a@example.com', reason: 'complaint', source: 'api', createdAt: 'x' },
      );
      r = await call(h, 'POST', '/v1/suppressions', { recipient: 'a@example.com', reason: 'again' });
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().reason, 'complaint');
      await call(h, 'POST', '/v1/suppressions', { recipient: '+48 123 456 789' });
      await call(h, 'POST', '/v1/suppressions', { recipient: 'c@example.com' });
      assert.equal((await call(h, 'GET', '/v1/suppressions/%2B48123456789')).json().recipient, '+48123456789');
      const p1 = (await call(h, 'GET', '/v1/suppressions?limit=2')).json();
      assert.equal(p1.items.length, 2);
      assert.ok(p1.nextCursor);
      const p2 = (await call(h, 'GET', `/v1/suppressions?limit=2&cursor=${p1.nextCursor}`)).json();
      assert.equal(p2.items.length, 1);
      assert.equal(p2.nextCursor, null);
      const all = [...p1.items, ...p2.items].map((i: { recipient: string }) => i.recipient).sort();
      assert.deepEqual(all, ['+48123456789', 'a@example.com', 'c@example.com']);
      assert.equal((await call(h, 'GET', '/v1/suppressions?source=bounce')).json().items.length, 0);
      assert.equal((await call(h, 'POST', '/v1/suppressions', { recipient: '  ' })).statusCode, 400);
      assert.equal((await call(h, 'POST', '/v1/suppressions', {})).statusCode, 400);
      assert.equal((await call(h, 'DELETE', '/v1/suppressions/A@EXAMPLE.com')).statusCode, 204);
      assert.equal((await call(h, 'DELETE', '/v1/suppressions/a@example.com')).statusCode, 404);
      assert.equal((await call(h, 'GET', '/v1/suppressions/a@example.com')).statusCode, 404);
    });

    void test('send time: a preference or suppression added after acceptance stops the message before the provider', async () => {
      const h = await start({ roles: ['api', 'worker'], startWorker: false });
      const a = (await call(h, 'POST', '/v1/messages', email('late@example.com', { categories: 8 }))).json();
      const b = (await call(h, 'POST', '/v1/messages', email('gone@example.com'))).json();
      const c = (await call(h, 'POST', '/v1/messages', email('fine@example.com', { categories: 8 }))).json();
      assert.equal(a.state, 'queued');
      await call(h, 'PUT', '/v1/preferences/late@example.com', { optOut: 8 });
      await call(h, 'POST', '/v1/suppressions', { recipient: 'gone@example.com' });
      h.rt.worker!.start();
      const done = async (id: string) =>
        eventually(async () => {
          const m = (await call(h, 'GET', `/v1/messages/${id}`)).json();
          return ['queued', 'sending', 'sent'].includes(m.state) ? undefined : m;
        });
      const [ma, mb, mc] = [await done(a.id), await done(b.id), await done(c.id)];
      assert.equal(ma.state, 'suppressed');
      assert.equal(ma.reason, 'recipient opted out of category 8');
      assert.equal(ma.attempts.length, 0);
      assert.equal(mb.state, 'suppressed');
      assert.match(mb.reason, /suppression list/);
      assert.equal(mc.state, 'delivered'); // the default outbox
    });

    void test('receipts: a bounce or a spam report suppresses the recipient (HERALD_AUTO_SUPPRESS)', async () => {
      const h = await start();
      const a = (await call(h, 'POST', '/v1/messages', email('Bouncy@example.com'))).json();
      const b = (await call(h, 'POST', '/v1/messages', email('angry@example.com'))).json();
      const c = (await call(h, 'POST', '/v1/messages', email('happy@example.com'))).json();
      await markAllSent(h);
      const deps = { store: h.rt.store, clock: h.rt.clock, config: h.config };
      const out = await applyReceipts(
        deps,
        [
          { messageId: a.id, to: 'bounced', type: 'bounce', reason: '550 no such user' },
          { messageId: b.id, engagement: Engagement.spam, type: 'spamreport' },
          { messageId: c.id, engagement: Engagement.opened, type: 'open' },
        ],
        'test',
      );
      assert.equal(out.ok, true);
      const list = (await call(h, 'GET', '/v1/suppressions')).json().items as {
        recipient: string;
        source: string;
        reason: string;
      }[];
      const by = Object.fromEntries(list.map((i) => [i.recipient, i]));
      assert.deepEqual(Object.keys(by).sort(), ['angry@example.com', 'bouncy@example.com']);
      assert.equal(by['bouncy@example.com']!.source, 'bounce');
      assert.match(by['bouncy@example.com']!.reason, /hard bounce: 550 no such user/);
      assert.equal(by['angry@example.com']!.source, 'spam');
      // The next message to them is suppressed at ingest.
      assert.equal((await call(h, 'POST', '/v1/messages', email('bouncy@example.com'))).json().state, 'suppressed');

      const off = await start({ env: { HERALD_AUTO_SUPPRESS: 'false' } });
      const d = (await call(off, 'POST', '/v1/messages', email('x@example.com'))).json();
      await markAllSent(off);
      await applyReceipts(
        { store: off.rt.store, clock: off.rt.clock, config: off.config },
        [{ messageId: d.id, engagement: Engagement.spam, type: 'spamreport' }],
        'test',
      );
      assert.equal((await call(off, 'GET', '/v1/suppressions')).json().items.length, 0);
    });

    void test('last message by uniqueId, with state and flags', async () => {
      const h = await start();
      await call(h, 'POST', '/v1/messages', email('u@example.com', { uniqueId: 'welcome' }));
      const second = (
        await call(h, 'POST', '/v1/messages', email('u@example.com', { uniqueId: 'welcome', categories: 4 }))
      ).json();
      await call(h, 'POST', '/v1/messages', email('u@example.com', { uniqueId: 'other' }));
      await call(h, 'POST', '/v1/messages', email('v@example.com', { uniqueId: 'welcome' }));
      const r = await call(h, 'GET', '/v1/recipients/u@example.com/last?uniqueId=welcome');
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().message.id, second.id);
      assert.equal(r.json().message.state, 'queued');
      assert.equal(r.json().message.categories, 4);
      assert.deepEqual(r.json().message.engagement, {
        opened: false,
        clicked: false,
        spam: false,
        unsubscribed: false,
      });
      assert.equal(r.json().stateFlags, 0);
      await h.rt.store.messages.changeState(second.id, {
        to: 'cancelled',
        at: 1,
        source: 't',
        type: 'cancelled',
        engagement: Engagement.opened,
      });
      const again = (await call(h, 'GET', '/v1/recipients/u@example.com/last?uniqueId=welcome')).json();
      assert.equal(again.stateFlags, 16 | 32);
      assert.equal((await call(h, 'GET', '/v1/recipients/w@example.com/last?uniqueId=welcome')).statusCode, 404);
      assert.equal((await call(h, 'GET', '/v1/recipients/u@example.com/last')).statusCode, 400);
    });
  });
}
