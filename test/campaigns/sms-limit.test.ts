import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { smsTextTooLong } from '../../src/campaigns/input.ts';
import { staticPart } from '../../src/campaigns/template.ts';
import { countSegments } from '../../src/providers/sms/segments.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { HOUR, T0 } from './helpers.ts';

/**
 * Decision 0031: a campaign SMS whose text is too long for EVERY contact (its static part alone is
 * more than HERALD_SMS_MAX_SEGMENTS) is refused when it is written, on the native API (400
 * HERALD_VALIDATION at /text) and on the seed 003 API (DRF `{"text": [...]}`), instead of every
 * message failing at fan-out. A text that fits without its placeholders is still accepted: whether
 * one contact's values make it too long is decided per contact at fan-out (decision 0027).
 */

const LIMIT = 2;
const iso = (ms: number) => new Date(ms).toISOString();
/** 3 GSM-7 parts before any placeholder (320 septets: two parts hold 306). */
const LONG = `${'a'.repeat(160)} {attributes.name} ${'b'.repeat(158)}`;
/** 2 parts without placeholders (300 septets); a long name can push one contact over. */
const FITS = `${'a'.repeat(150)} {attributes.name} ${'b'.repeat(148)}`;

test('staticPart drops the placeholders only; smsTextTooLong counts what is left', () => {
  assert.equal(staticPart('Hi {attributes.name}, {phone} {unknown} {'), 'Hi ,  {unknown} {');
  assert.equal(countSegments(staticPart(LONG)).segments, 3);
  assert.deepEqual(smsTextTooLong(LONG, LIMIT), { encoding: 'GSM-7', segments: 3, units: 320 });
  assert.equal(smsTextTooLong(FITS, LIMIT), undefined);
  assert.equal(smsTextTooLong(LONG, 3), undefined);
  // One character outside GSM-7 makes the whole text UCS-2: 70 units a message, 67 a part.
  assert.equal(smsTextTooLong(`${'я'.repeat(133)} {phone}`, LIMIT), undefined);
  assert.deepEqual(smsTextTooLong(`${'я'.repeat(134)} {phone}`, LIMIT), { encoding: 'UCS-2', segments: 3, units: 135 });
});

describe(`campaign SMS too long for every contact (HERALD_SMS_MAX_SEGMENTS=${LIMIT})`, () => {
  let h: TestHerald;
  before(async () => {
    h = await startHerald({
      clock: new ManualClock(T0, { realTimers: true }),
      startWorker: false,
      env: { HERALD_SMS_MAX_SEGMENTS: String(LIMIT) },
    });
  });
  after(() => h?.stop());
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object) =>
    h.inject({ method, url, headers: h.auth, ...(payload ? { payload } : {}) });
  const campaign = (over: Record<string, unknown> = {}) => ({
    name: 'limit',
    text: 'Hello {attributes.name}',
    startAt: iso(T0 + HOUR),
    endAt: iso(T0 + 5 * HOUR),
    ...over,
  });

  test('native API: refused at create and at a text edit, with /text and the counts', async () => {
    const r = await call('POST', '/v1/campaigns', campaign({ text: LONG }));
    assert.equal(r.statusCode, 400, r.body);
    const err = r.json().error;
    assert.equal(err.code, 'HERALD_VALIDATION');
    assert.deepEqual(
      err.details.map((d: { path: string }) => d.path),
      ['/text'],
    );
    assert.match(
      err.details[0].message,
      /^is too long for every contact: without its placeholders it is already 3 SMS segments \(GSM-7, 320 units\); the limit is 2 \(HERALD_SMS_MAX_SEGMENTS\)$/,
    );
    assert.equal((await call('GET', '/v1/campaigns')).json().items.length, 0, 'nothing was created');

    const ok = await call('POST', '/v1/campaigns', campaign({ text: FITS }));
    assert.equal(ok.statusCode, 201, ok.body);
    const id = ok.json().id as string;
    const edit = await call('PATCH', `/v1/campaigns/${id}`, { text: LONG });
    assert.equal(edit.statusCode, 400, edit.body);
    assert.equal(edit.json().error.details[0].path, '/text');
    assert.equal((await call('GET', `/v1/campaigns/${id}`)).json().text, FITS, 'the text is unchanged');
    // Other edits are not held by the text check.
    const prio = await call('PATCH', `/v1/campaigns/${id}`, { priority: 5 });
    assert.equal(prio.statusCode, 200, prio.body);
  });

  test('native API: e-mail campaigns are not SMS-counted', async () => {
    const mail = await call(
      'POST',
      '/v1/campaigns',
      campaign({ channel: 'email', from: 'news@example.com', subject: 'Hi', text: LONG }),
    );
    assert.equal(mail.statusCode, 201, mail.body);
  });

  test('seed 003 API: refused on POST and PUT in DRF shape; a PATCH without text passes', async () => {
    const body = {
      date_start: iso(T0 + HOUR),
      date_end: iso(T0 + 5 * HOUR),
      // 255 characters at most on this API: UCS-2 makes 3 parts of 67 from 135 characters.
      text: 'я'.repeat(140),
    };
    const r = await call('POST', '/api/mailings/', body);
    assert.equal(r.statusCode, 400, r.body);
    assert.deepEqual(r.json(), {
      text: [
        'Ensure this field fits in 2 SMS segments (HERALD_SMS_MAX_SEGMENTS): without its placeholders it already ' +
          'takes 3 (UCS-2, 140 units) for every client.',
      ],
    });
    const ok = await call('POST', '/api/mailings/', { ...body, text: 'я'.repeat(120) });
    assert.equal(ok.statusCode, 201, ok.body);
    const id = ok.json().id as string;
    const put = await call('PUT', `/api/mailings/${id}/`, body);
    assert.equal(put.statusCode, 400, put.body);
    assert.deepEqual(Object.keys(put.json()), ['text']);
    const patch = await call('PATCH', `/api/mailings/${id}/`, { tag: 'vip' });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.json().text, 'я'.repeat(120));
  });

  test('a text edit of a running campaign stores the new segment count on its queued messages', async () => {
    for (const [phone, name] of [
      ['79160000001', 'Al'],
      ['79160000002', 'x'.repeat(100)],
    ])
      assert.equal((await call('POST', '/v1/contacts', { phone, attributes: { name } })).statusCode, 201);
    const r = await call('POST', '/v1/campaigns', campaign({ text: 'Hi', startAt: iso(T0 - HOUR) }));
    assert.equal(r.statusCode, 201, r.body);
    const id = r.json().id as string;
    await h.rt.scheduler!.tick();
    const segments = async () => {
      const page = await h.rt.store.messages.list({ campaignId: id }, 10);
      return page.items.map((m) => [m.recipient, m.state, m.segments]).sort();
    };
    assert.deepEqual(await segments(), [
      ['79160000001', 'queued', 1],
      ['79160000002', 'queued', 1],
    ]);
    // The same text for everyone: one UPDATE for all of them.
    assert.equal((await call('PATCH', `/v1/campaigns/${id}`, { text: 'b'.repeat(200) })).statusCode, 200);
    assert.deepEqual(await segments(), [
      ['79160000001', 'queued', 2],
      ['79160000002', 'queued', 2],
    ]);
    // Personalised: each message's own count (153 and 251 septets).
    const edit = await call('PATCH', `/v1/campaigns/${id}`, { text: `${'a'.repeat(150)} {attributes.name}` });
    assert.equal(edit.statusCode, 200, edit.body);
    assert.deepEqual(await segments(), [
      ['79160000001', 'queued', 1],
      ['79160000002', 'queued', 2],
    ]);
  });
});
