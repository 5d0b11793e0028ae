import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { HOUR, T0 } from '../campaigns/helpers.ts';

const iso = (ms: number) => new Date(ms).toISOString();

for (const backend of BACKENDS) {
  describe(`campaigns with templates and HTML (${backend})`, () => {
    let h: TestHerald;
    const clock = new ManualClock(T0, { realTimers: true });
    before(async () => {
      h = await startHerald({ backend, clock, startWorker: false });
    });
    after(() => h.stop());
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      h.inject({ method, url, headers: h.auth, ...(payload !== undefined ? { payload: payload as object } : {}) });
    const messagesOf = async (id: string) =>
      (await call('GET', `/v1/campaigns/${id}/stats?limit=100`)).json().messages.items as {
        to: string;
        state: string;
        reason: string | null;
        subject: string | null;
        text: string | null;
        html: string | null;
        categories: number;
      }[];

    test('each contact gets the template rendered with its attributes, in its locale; a gap fails only that contact', async () => {
      const t = await call('POST', '/v1/templates', {
        name: 'newsletter',
        channel: 'email',
        variants: {
          en: { subject: 'News for {{ name }}', html: '<h1>Hi {{ name }}</h1><p>{{ contact.email }}</p>' },
          fr: { subject: 'Nouvelles pour {{ name }}', text: 'Salut {{ name }}' },
        },
      });
      assert.equal(t.statusCode, 201, t.body);
      for (const [email, attributes] of [
        ['ann@example.com', { name: 'Ann' }],
        ['zoe@example.com', { name: 'Zoé', locale: 'fr-FR' }],
        ['noname@example.com', {}],
      ] as const)
        assert.equal((await call('POST', '/v1/contacts', { email, tag: 'news', attributes })).statusCode, 201);
      const c = await call('POST', '/v1/campaigns', {
        channel: 'email',
        from: 'news@example.com',
        template: { id: 'newsletter' },
        categories: 4,
        filter: { tags: ['news'] },
        startAt: iso(T0 - HOUR),
        endAt: iso(T0 + HOUR),
      });
      assert.equal(c.statusCode, 201, c.body);
      assert.deepEqual(c.json().template, { id: t.json().id, version: 1, locale: null });
      // A later version does not change the pinned campaign.
      await call('POST', '/v1/templates/newsletter/versions', { variants: { en: { subject: 'v2', text: 'v2' } } });
      await h.rt.scheduler!.tick();
      const byTo = new Map((await messagesOf(c.json().id)).map((m) => [m.to, m]));
      assert.equal(byTo.get('ann@example.com')!.subject, 'News for Ann');
      assert.equal(byTo.get('ann@example.com')!.html, '<h1>Hi Ann</h1><p>ann@example.com</p>');
      assert.equal(byTo.get('ann@example.com')!.categories, 4);
      assert.equal(byTo.get('zoe@example.com')!.text, 'Salut Zoé');
      const gap = byTo.get('noname@example.com')!;
      assert.equal(gap.state, 'failed');
      assert.match(gap.reason!, /template data has no name, which the subject uses/);
      // A template a live campaign renders cannot be deleted.
      const del = await h.inject({ method: 'DELETE', url: '/v1/templates/newsletter', headers: h.auth });
      assert.equal(del.statusCode, 409);
      assert.deepEqual(del.json().error.details.campaigns, [c.json().id]);
    });

    test('an e-mail campaign may have HTML only; template and HTML of a started campaign are fixed', async () => {
      await call('POST', '/v1/contacts', { email: 'h@example.com', tag: 'html', attributes: { name: 'Hal' } });
      const c = await call('POST', '/v1/campaigns', {
        channel: 'email',
        from: 'x@example.com',
        subject: 'Hello {attributes.name}',
        html: '<b>Hi {attributes.name}</b>',
        filter: { tags: ['html'] },
        startAt: iso(T0 - HOUR),
        endAt: iso(T0 + HOUR),
      });
      assert.equal(c.statusCode, 201, c.body);
      await h.rt.scheduler!.tick();
      const [m] = await messagesOf(c.json().id);
      assert.equal(m!.html, '<b>Hi Hal</b>');
      assert.equal(m!.subject, 'Hello Hal');
      const patch = await call('PATCH', `/v1/campaigns/${c.json().id}`, { html: '<i>changed</i>' });
      assert.equal(patch.statusCode, 409);
      const sms = await call('POST', '/v1/campaigns', {
        channel: 'sms',
        template: { id: 'newsletter' },
        startAt: iso(T0 + HOUR),
        endAt: iso(T0 + 2 * HOUR),
      });
      assert.equal(sms.statusCode, 400);
      assert.match(sms.json().error.message, /is for email, not sms/);
      const none = await call('POST', '/v1/campaigns', {
        channel: 'sms',
        startAt: iso(T0 + HOUR),
        endAt: iso(T0 + 2 * HOUR),
      });
      assert.equal(none.statusCode, 400);
      assert.match(none.json().error.message, /text is required \(or a template\)/);
    });
  });
}
