import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';

/** Issue 14: every error says what was wrong in plain words; wrong methods are 405; docs get security headers. */
describe('error messages', () => {
  let h: TestHerald;
  before(async () => {
    h = await startHerald({ roles: ['api'], env: { HERALD_BODY_LIMIT_BYTES: '4096' } });
  });
  after(() => h.stop());

  const send = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const r = await h.inject({
      method: method as 'POST',
      url,
      headers: { ...h.auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    return { status: r.statusCode, headers: r.headers, body: r.body ? r.json() : undefined };
  };
  const message = async (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
    (await send(method, url, payload, headers)).body.error.message as string;

  test('an unknown enum value lists the allowed values once, with what was given', async () => {
    const m = await message('POST', '/v1/messages', { channel: 'push', to: 'x' });
    assert.equal(m, 'The request is not valid: channel must be one of: email, sms, webhook (got "push").');
    const q = await message('GET', '/v1/messages?state=bogus');
    assert.match(q, /^The request is not valid: query parameter state must be one of: queued, sending, sent, /);
    assert.equal(q.split('must be').length, 2, 'one sentence, not one per allowed value');
    assert.match(q, /\(got "bogus"\)\.$/);
  });

  test('a missing field is "required"; an unknown one is named, with the known fields', async () => {
    const missing = await send('POST', '/v1/messages', {
      channel: 'email',
      to: 'a@example.com',
      subject: 's',
      text: 't',
    });
    assert.equal(missing.body.error.message, 'The request is not valid: from is required.');
    assert.deepEqual(missing.body.error.details, [{ path: '/from', message: 'is required' }]);
    const unknown = await message('POST', '/v1/messages', { channel: 'sms', to: '+79001234567', text: 'x', bogus: 1 });
    assert.match(unknown, /^The request is not valid: bogus is not a known field \(known fields: channel, to, text, /);
    assert.doesNotMatch(unknown, /additional properties/);
    const noChannel = await message('POST', '/v1/messages', { to: 'a@example.com' });
    assert.equal(noChannel, 'The request is not valid: channel is required.');
  });

  test('types, limits and formats say what was expected and what was given; every problem at once', async () => {
    const m = await message('POST', '/v1/messages', {
      channel: 'sms',
      to: 79001234567,
      text: 'x',
      priority: 10,
      sendAt: 'tomorrow',
    });
    assert.equal(
      m,
      'The request is not valid: to must be a string (got the number 79001234567). ' +
        'priority must be at most 9 (got the number 10). ' +
        'sendAt must be an ISO 8601 date-time such as 2030-01-31T09:00:00Z (got "tomorrow").',
    );
    const batch = await message('POST', '/v1/messages/batch', { messages: [{ channel: 'sms', to: '1', text: '' }] });
    assert.equal(
      batch,
      'The request is not valid: messages[0].text must be at least 1 character long (got 0 characters).',
    );
    const header = await message('POST', '/v1/messages', {
      channel: 'webhook',
      url: 'https://example.com/',
      headers: { 'bad name': 'v' },
    });
    assert.equal(
      header,
      'The request is not valid: headers has a field name "bad name" that is not an HTTP header name.',
    );
  });

  test('a malformed id says "a UUID", not the pattern', async () => {
    const r = await send('GET', '/v1/messages/123');
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, 'The request is not valid: path parameter id must be a UUID (got "123").');
    assert.doesNotMatch(r.body.error.message, /\[0-9a-f/);
  });

  test('one prefix for every validation error: schema, domain, contacts, campaigns', async () => {
    const messages = [
      await message('POST', '/v1/messages', {
        channel: 'email',
        to: 'nobody',
        from: 'a@example.com',
        subject: 's',
        text: 't',
      }),
      await message('POST', '/v1/contacts', { phone: 'x' }),
      await message('POST', '/v1/campaigns', { name: 'c', channel: 'sms', text: 't', startAt: 'soon' }),
      await message('GET', '/v1/messages?limit=0'),
    ];
    for (const m of messages) assert.match(m, /^The request is not valid: \S.*\.$/, m);
  });

  test('bad JSON gives the position; 415 says to use application/json; 413 names the limit and the variable', async () => {
    const json = { 'content-type': 'application/json' };
    const bad = await send('POST', '/v1/messages', '{"channel": "sms" "to": 1}', json);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'HERALD_BAD_JSON');
    assert.match(bad.body.error.message, /^The request body is not valid JSON: .*at position 18 \(line 1 column 19\)$/);
    const cut = await message('POST', '/v1/messages', '{"channel": ', json);
    assert.match(cut, /at position 12, the end/);
    const type = await send('POST', '/v1/messages', 'hello', { 'content-type': 'text/plain' });
    assert.equal(type.status, 415);
    assert.equal(
      type.body.error.message,
      'The content type text/plain is not supported: send JSON with Content-Type: application/json',
    );
    const big = await send('POST', '/v1/messages', { channel: 'sms', to: '+79001234567', text: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'HERALD_BODY_TOO_LARGE');
    assert.equal(
      big.body.error.message,
      'The request body is larger than the limit of 4096 bytes (HERALD_BODY_LIMIT_BYTES)',
    );
  });

  test('a wrong method is 405 HERALD_METHOD_NOT_ALLOWED with Allow; OPTIONS is 204 with Allow', async () => {
    const put = await send('PUT', '/v1/messages', { a: 1 });
    assert.equal(put.status, 405);
    assert.equal(put.body.error.code, 'HERALD_METHOD_NOT_ALLOWED');
    assert.equal(put.headers.allow, 'GET, HEAD, POST, OPTIONS');
    // /v1/messages/batch is also the shape of /v1/messages/{id}: the literal route wins.
    const get = await send('GET', '/v1/messages/batch');
    assert.equal(get.status, 405, JSON.stringify(get.body));
    assert.equal(get.headers.allow, 'POST, OPTIONS');
    assert.equal(get.body.error.message, 'GET is not allowed on /v1/messages/batch; use POST');
    const importGet = await send('GET', '/v1/contacts/import');
    assert.equal(importGet.status, 405);
    const options = await send('OPTIONS', '/v1/messages/01900000-0000-7000-8000-000000000000');
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, 'GET, HEAD, OPTIONS');
    const nowhere = await send('OPTIONS', '/v1/nothing');
    assert.equal(nowhere.status, 404);
    assert.equal((await send('DELETE', '/v1/nothing')).body.error.code, 'HERALD_ROUTE_NOT_FOUND');
    // Without a key a wrong method still says which methods exist (the route table is public in /openapi.json).
    const anon = await h.inject({ method: 'PUT', url: '/v1/messages' });
    assert.equal(anon.statusCode, 405);
  });

  test('/docs has the security headers of /admin', async () => {
    const admin = await h.inject({ url: '/admin/' });
    for (const url of ['/docs/', '/docs/static/swagger-initializer.js', '/docs/static/theme/herald.css']) {
      const r = await h.inject({ url });
      assert.equal(r.statusCode, 200, url);
      for (const name of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) {
        assert.ok(admin.headers[name], `/admin sends ${name}`);
        assert.equal(r.headers[name], admin.headers[name], `${url}: ${name}`);
      }
    }
    const options = await h.inject({ method: 'OPTIONS', url: '/docs/' });
    assert.equal(options.statusCode, 204);
    assert.match(String(options.headers.allow), /GET/);
  });
});
