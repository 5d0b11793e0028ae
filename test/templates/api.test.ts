import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';

for (const backend of BACKENDS) {
  describe(`templates API (${backend})`, () => {
    let h: TestHerald;
    before(async () => {
      h = await startHerald({ backend, roles: ['api'], env: { HERALD_SMS_MAX_SEGMENTS: '2' } });
    });
    after(() => h.stop());

    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      h.inject({ method, url, headers: h.auth, ...(payload ? { payload: payload } : {}) });

    const welcome = {
      name: 'welcome',
      channel: 'email',
      variants: {
        en: { subject: 'Welcome, {{ name }}', html: '<p>Hello {{ name }}, your plan is {{ plan }}.</p>' },
        de: { subject: 'Willkommen, {{ name }}', text: 'Hallo {{ name }}, Ihr Tarif: {{ plan }}.' },
      },
    };

    test('create, read, version, list; versions never change', async () => {
      const c = await call('POST', '/v1/templates', welcome);
      assert.equal(c.statusCode, 201, c.body);
      const t = c.json();
      assert.equal(t.latest, 1);
      assert.equal(t.current.defaultLocale, 'en');
      assert.equal((await call('POST', '/v1/templates', welcome)).statusCode, 409);

      const v2 = await call('POST', `/v1/templates/welcome/versions`, {
        variants: { en: { subject: 'Hi {{ name }}', text: 'v2 {{ name }}' } },
      });
      assert.equal(v2.statusCode, 201, v2.body);
      assert.equal(v2.json().latest, 2);
      assert.equal((await call('GET', `/v1/templates/${t.id}`)).json().current.version, 2);
      const v1 = (await call('GET', `/v1/templates/${t.id}?version=1`)).json();
      assert.equal(v1.current.variants.en.subject, 'Welcome, {{ name }}');
      const versions = (await call('GET', `/v1/templates/welcome/versions`)).json().items;
      assert.deepEqual(
        versions.map((v: { version: number }) => v.version),
        [2, 1],
      );
      const list = (await call('GET', '/v1/templates')).json();
      assert.ok(list.items.some((x: { name: string }) => x.name === 'welcome'));
    });

    test('bad templates are refused with every problem named', async () => {
      const r = await call('POST', '/v1/templates', {
        name: 'bad one',
        channel: 'sms',
        variants: { en: { text: '{% if %}', subject: 'x' }, 'not a locale': { text: 'hi' } },
      });
      assert.equal(r.statusCode, 400);
      const msg = r.json().error.message as string;
      assert.match(msg, /name is required/);
      assert.match(msg, /variants\.en\.text is not valid Liquid/);
      assert.match(msg, /variants\.en\.subject is not a field of sms templates \(they have text\)/);
      assert.match(msg, /is not a locale like en/);
    });

    test('a message names a template: rendered at accept time, per locale; a missing variable is a 400', async () => {
      await call('POST', '/v1/templates', {
        name: 'otp',
        channel: 'sms',
        variants: { en: { text: 'Your code is {{ code }}' }, ru: { text: 'Ваш код {{ code }}' } },
      });
      const base = { channel: 'sms', to: '+79001234567' };
      const ok = await call('POST', '/v1/messages', {
        ...base,
        template: { id: 'otp', locale: 'ru-RU', data: { code: '4321' } },
      });
      assert.equal(ok.statusCode, 202, ok.body);
      const m = (await call('GET', `/v1/messages/${ok.json().id}`)).json();
      assert.equal(m.text, 'Ваш код 4321');
      assert.equal(m.segments, 1);

      const missing = await call('POST', '/v1/messages', { ...base, template: { id: 'otp', data: {} } });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().error.message, /template\.data has no code, which the text uses \(line 1, col 17\)/);
      const unknown = await call('POST', '/v1/messages', { ...base, template: { id: 'nope', data: {} } });
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.json().error.message, /no template nope/);
      const wrongChannel = await call('POST', '/v1/messages', {
        channel: 'email',
        to: 'a@example.com',
        from: 'b@example.com',
        template: { id: 'otp', data: { code: 1 } },
      });
      assert.equal(wrongChannel.statusCode, 400);
      assert.match(wrongChannel.json().error.message, /is for sms, not email/);
    });

    test('e-mail templates escape data in HTML; preview renders without sending', async () => {
      const p = await call('POST', '/v1/templates/welcome/preview', {
        version: 1,
        data: { name: '<Ann>', plan: 'Pro' },
      });
      assert.equal(p.statusCode, 200, p.body);
      assert.equal(p.json().subject, 'Welcome, <Ann>');
      assert.equal(p.json().html, '<p>Hello &lt;Ann&gt;, your plan is Pro.</p>');
      const de = await call('POST', '/v1/templates/welcome/preview', {
        version: 1,
        locale: 'de',
        data: { name: 'A', plan: 'B' },
      });
      assert.equal(de.json().text, 'Hallo A, Ihr Tarif: B.');
      const bad = await call('POST', '/v1/templates/welcome/preview', { version: 1, data: { name: 'A' } });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /plan/);
      const draft = await call('POST', '/v1/templates/welcome/preview', {
        variants: { en: { subject: 'Draft {{ a }}', text: 'x' } },
        data: { a: 1 },
      });
      assert.equal(draft.json().subject, 'Draft 1');
      assert.equal(draft.json().version, null);
      const contact = await call('POST', '/v1/contacts', {
        email: 'c@example.com',
        attributes: { name: 'Cy', plan: 'Free' },
      });
      assert.equal(contact.statusCode, 201, contact.body);
      const forContact = await call('POST', '/v1/templates/welcome/preview', {
        version: 1,
        contactId: contact.json().id,
      });
      assert.equal(forContact.json().subject, 'Welcome, Cy');
    });

    test('SMS longer than HERALD_SMS_MAX_SEGMENTS is a 400 with the count and the limit', async () => {
      const r = await call('POST', '/v1/messages', { channel: 'sms', to: '+79001234567', text: 'a'.repeat(307) });
      assert.equal(r.statusCode, 400);
      assert.match(
        r.json().error.message,
        /is 3 SMS segments \(GSM-7, 307 units\); the limit is 2 \(HERALD_SMS_MAX_SEGMENTS\)/,
      );
      const ok = await call('POST', '/v1/messages', { channel: 'sms', to: '+79001234567', text: 'я'.repeat(134) });
      assert.equal(ok.statusCode, 202);
      assert.equal((await call('GET', `/v1/messages/${ok.json().id}`)).json().segments, 2);
      // Stats sum the parts per channel (the 1-part templated SMS before, and these 2).
      const overview = (await call('GET', '/v1/stats/overview')).json();
      const sms = overview.byChannel.find((c: { channel: string }) => c.channel === 'sms');
      assert.equal(sms.segments, 3);
    });

    test('delete removes the template; it can no longer be used', async () => {
      assert.equal((await call('DELETE', '/v1/templates/otp')).statusCode, 204);
      assert.equal((await call('GET', '/v1/templates/otp')).statusCode, 404);
    });
  });
}
