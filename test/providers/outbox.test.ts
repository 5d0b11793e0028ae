import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';

for (const backend of BACKENDS) {
  describe(`outbox default and @test sink: ${backend}`, () => {
    const started: TestHerald[] = [];
    after(async () => {
      for (const h of started) await h.stop();
    });

    test('without providers, e-mail and SMS are delivered into the outbox and readable at /v1/outbox', async () => {
      const h = await startHerald({ backend });
      started.push(h);
      const send = (payload: object) =>
        h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload }).then((r) => r.json());
      const mail = await send({
        channel: 'email',
        to: 'ann@example.com',
        from: 'shop@example.com',
        subject: 'Your order',
        text: 'It ships today.',
        html: '<p>It <b>ships</b> today.</p>',
      });
      const sms = await send({ channel: 'sms', to: '+15550001111', text: 'Code 1234' });
      for (const id of [mail.id, sms.id]) {
        await eventually(async () => {
          const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
          return m.state === 'delivered' ? m : undefined;
        });
      }
      const list = (await h.inject({ url: '/v1/outbox', headers: h.auth })).json();
      assert.equal(list.items.length, 2);
      assert.deepEqual(list.items.map((i: { id: string }) => i.id).sort(), [mail.id, sms.id].sort());
      const onlySms = (await h.inject({ url: '/v1/outbox?channel=sms', headers: h.auth })).json();
      assert.deepEqual(
        onlySms.items.map((i: { id: string; provider: string }) => [i.id, i.provider]),
        [[sms.id, 'outbox-sms']],
      );
      const byRecipient = (await h.inject({ url: '/v1/outbox?recipient=ann@example.com', headers: h.auth })).json();
      assert.equal(byRecipient.items.length, 1);
      assert.equal(byRecipient.items[0].preview, 'It ships today.');
      assert.equal(byRecipient.items[0].hasHtml, true);
      const detail = (await h.inject({ url: `/v1/outbox/${mail.id}`, headers: h.auth })).json();
      assert.equal(detail.html, '<p>It <b>ships</b> today.</p>');
      assert.equal(detail.subject, 'Your order');
      assert.equal(detail.sender, 'shop@example.com');
      const missing = await h.inject({ url: '/v1/outbox/nope', headers: h.auth });
      assert.equal(missing.statusCode, 404);
      const noKey = await h.inject({ url: '/v1/outbox' });
      assert.equal(noKey.statusCode, 401);
    });

    test('cursor pagination walks the outbox newest first without repeats', async () => {
      const h = await startHerald({ backend });
      started.push(h);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await h.inject({
          method: 'POST',
          url: '/v1/messages',
          headers: h.auth,
          payload: { channel: 'sms', to: `+1555000000${i}`, text: `n${i}` },
        });
        ids.push(r.json().id);
      }
      await eventually(async () => {
        const l = (await h.inject({ url: '/v1/outbox?limit=200', headers: h.auth })).json();
        return l.items.length === 5 ? true : undefined;
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : '';
        const page = (await h.inject({ url: `/v1/outbox?limit=2${q}`, headers: h.auth })).json();
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((i: { id: string }) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
    });

    test('@test recipients complete at once as delivered and reach no provider', async () => {
      const h = await startHerald({ backend });
      started.push(h);
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'email', to: 'someone@test', from: 'a@example.com', subject: 's', text: 't' },
      });
      const m = await eventually(async () => {
        const d = (await h.inject({ url: `/v1/messages/${r.json().id}`, headers: h.auth })).json();
        return d.state === 'delivered' ? d : undefined;
      });
      assert.equal(m.provider, 'test-sink');
      const list = (await h.inject({ url: '/v1/outbox', headers: h.auth })).json();
      assert.equal(list.items.length, 0, 'the outbox provider was not called');
    });
  });
}
