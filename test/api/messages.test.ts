import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';

/** The native message API through app.inject (no worker: messages stay queued). */
describe('native message API', () => {
  let h: TestHerald;
  before(async () => {
    h = await startHerald({ roles: ['api'] });
  });
  after(() => h.stop());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    h.inject({ method: 'POST', url, headers: { ...h.auth, ...headers }, payload: payload as object });

  test('every API route needs a key; a wrong one gets the same 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }]) {
      const r = await h.inject({ method: 'GET', url: '/v1/messages', headers });
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error.code, 'HERALD_UNAUTHORIZED');
    }
    assert.equal((await h.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await h.inject({ method: 'POST', url: '/ingest.php', payload: {} })).statusCode, 401);
  });

  test('health and docs need no key', async () => {
    assert.equal((await h.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await h.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().ok, true);
    const spec = await h.inject({ url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
    assert.ok(spec.json().paths['/v1/messages']);
    assert.ok(!spec.json().paths['/ingest.php'], "seed 004's own paths are in the compatibility document");
    const compat = await h.inject({ url: '/openapi-compat.json' });
    assert.equal(compat.statusCode, 200);
    assert.ok(compat.json().paths['/ingest.php']);
    assert.equal((await h.inject({ url: '/docs' })).statusCode < 400, true);
  });

  test('accepts each channel with 202 and the committed id', async () => {
    const bodies = [
      { channel: 'email', to: 'a@example.com', from: 'b@example.com', subject: 'Hi', text: 'Yo' },
      { channel: 'sms', to: '+79001234567', text: 'Yo' },
      {
        channel: 'webhook',
        method: 'PUT',
        url: 'https://example.com/hook',
        headers: { 'x-a': '1' },
        body: [1, { b: 2 }],
      },
    ];
    for (const b of bodies) {
      const r = await post('/v1/messages', b);
      assert.equal(r.statusCode, 202, r.body);
      const { id, state } = r.json();
      assert.equal(state, 'queued');
      const got = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
      assert.equal(got.channel, b.channel);
      assert.equal(got.state, 'queued');
      assert.deepEqual(got.attempts, []);
    }
  });

  test('priority, sendAt, notAfter, categories, uniqueId and metadata are kept', async () => {
    const r = await post('/v1/messages', {
      channel: 'sms',
      to: '79001234567',
      text: 'x',
      priority: 7,
      sendAt: '2030-01-01T00:00:00Z',
      notAfter: '2030-01-02T00:00:00Z',
      categories: 6,
      uniqueId: 'u-1',
      metadata: { order: 42 },
    });
    assert.equal(r.statusCode, 202, r.body);
    const m = (await h.inject({ url: `/v1/messages/${r.json().id}`, headers: h.auth })).json();
    assert.equal(m.priority, 7);
    assert.equal(m.dueAt, '2030-01-01T00:00:00.000Z');
    assert.equal(m.notAfter, '2030-01-02T00:00:00.000Z');
    assert.equal(m.categories, 6);
    assert.equal(m.uniqueId, 'u-1');
    assert.deepEqual(m.metadata, { order: 42 });
  });

  test('Idempotency-Key: a repeat returns the first message; another body is a 409', async () => {
    const body = { channel: 'webhook', url: 'https://example.com/i' };
    const a = await post('/v1/messages', body, { 'idempotency-key': 'k-1' });
    const b = await post('/v1/messages', body, { 'idempotency-key': 'k-1' });
    assert.equal(a.statusCode, 202);
    assert.equal(b.statusCode, 202);
    assert.equal(b.json().id, a.json().id);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    const c = await post('/v1/messages', { ...body, url: 'https://example.com/other' }, { 'idempotency-key': 'k-1' });
    assert.equal(c.statusCode, 409);
    assert.equal(c.json().error.code, 'HERALD_IDEMPOTENCY_CONFLICT');
  });

  test('batch: ids in order, one transaction, all-or-nothing validation, at most 1000', async () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ channel: 'webhook', url: `https://example.com/${i}` }));
    const r = await post('/v1/messages/batch', { messages });
    assert.equal(r.statusCode, 202, r.body);
    const { ids } = r.json();
    assert.equal(ids.length, 50);
    const first = (await h.inject({ url: `/v1/messages/${ids[0]}`, headers: h.auth })).json();
    assert.equal(first.to, 'https://example.com/0');
    assert.deepEqual([...ids].sort(), ids, 'time-ordered ids in request order');

    const before = (await h.inject({ url: '/v1/messages?limit=500', headers: h.auth })).json().items.length;
    const bad = await post('/v1/messages/batch', { messages: [...messages, { channel: 'sms', to: 'x', text: '' }] });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'HERALD_VALIDATION');
    assert.ok(bad.json().error.details.some((d: { path: string }) => d.path.startsWith('/messages/50/')));
    const afterCount = (await h.inject({ url: '/v1/messages?limit=500', headers: h.auth })).json().items.length;
    assert.equal(afterCount, before, 'nothing of a rejected batch is stored');

    const tooMany = await post('/v1/messages/batch', { messages: Array.from({ length: 1001 }, () => messages[0]) });
    assert.equal(tooMany.statusCode, 400);
    assert.equal(tooMany.json().error.code, 'HERALD_VALIDATION');
  });

  test('list filters by channel and pages with a cursor', async () => {
    const page1 = await h.inject({ url: '/v1/messages?channel=webhook&limit=10', headers: h.auth });
    assert.equal(page1.statusCode, 200);
    const p1 = page1.json();
    assert.equal(p1.items.length, 10);
    assert.ok(p1.items.every((m: { channel: string }) => m.channel === 'webhook'));
    const p2 = (
      await h.inject({ url: `/v1/messages?channel=webhook&limit=10&cursor=${p1.nextCursor}`, headers: h.auth })
    ).json();
    assert.ok(p2.items.length > 0);
    assert.ok(p2.items.every((m: { id: string }) => m.id < p1.nextCursor));
    const sms = (await h.inject({ url: '/v1/messages?state=queued&channel=sms', headers: h.auth })).json();
    assert.ok(sms.items.every((m: { channel: string }) => m.channel === 'sms'));
  });

  test('cancel before a final state; not twice; retry only failed messages', async () => {
    const { id } = (await post('/v1/messages', { channel: 'webhook', url: 'https://example.com/c' })).json();
    const c1 = await post(`/v1/messages/${id}/cancel`, {});
    assert.equal(c1.statusCode, 200);
    assert.equal(c1.json().state, 'cancelled');
    const c2 = await post(`/v1/messages/${id}/cancel`, {});
    assert.equal(c2.statusCode, 409);
    assert.equal(c2.json().error.code, 'HERALD_INVALID_STATE');
    const r = await post(`/v1/messages/${id}/retry`, {});
    assert.equal(r.statusCode, 409);
    const missing = await post('/v1/messages/01900000-0000-7000-8000-000000000000/cancel', {});
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'HERALD_NOT_FOUND');
  });

  test('cancel and retry take no body, an empty JSON body or {}; anything else is named', async () => {
    const queued = async () =>
      (await post('/v1/messages', { channel: 'webhook', url: 'https://example.com/b' })).json().id;
    const bodies: { payload?: string; headers?: Record<string, string> }[] = [
      {},
      { payload: '', headers: { 'content-type': 'application/json' } },
      { payload: '{}', headers: { 'content-type': 'application/json' } },
    ];
    for (const b of bodies) {
      const id = await queued();
      const r = await h.inject({
        method: 'POST',
        url: `/v1/messages/${id}/cancel`,
        headers: { ...h.auth, ...b.headers },
        ...(b.payload === undefined ? {} : { payload: b.payload }),
      });
      assert.equal(r.statusCode, 200, `${JSON.stringify(b)}: ${r.body}`);
      assert.equal(r.json().state, 'cancelled');
    }
    const bad = await post(`/v1/messages/${await queued()}/cancel`, { reason: 'x' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /^The request is not valid: reason is not a known field/);

    // A failed message: retry with an empty JSON body, then with a new budget.
    const id = await queued();
    const store = h.rt.store.messages;
    await store.changeState(id, { to: 'sending', at: Date.now(), source: 'test', type: 'claimed' });
    await store.changeState(id, { to: 'failed', at: Date.now(), source: 'test', type: 'failed' });
    const empty = await h.inject({
      method: 'POST',
      url: `/v1/messages/${id}/retry`,
      headers: { ...h.auth, 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(empty.statusCode, 200, empty.body);
    assert.equal(empty.json().state, 'queued');
    await store.changeState(id, { to: 'sending', at: Date.now(), source: 'test', type: 'claimed' });
    await store.changeState(id, { to: 'failed', at: Date.now(), source: 'test', type: 'failed' });
    const budget = await post(`/v1/messages/${id}/retry`, { maxAttempts: 3 });
    assert.equal(budget.statusCode, 200, budget.body);
    assert.equal(budget.json().maxAttempts, 3);
  });

  test('cancel only while queued: once a provider may have the message it is 409, and nothing is recorded', async () => {
    for (const states of [['sending'], ['sending', 'sent']] as const) {
      const { id } = (await post('/v1/messages', { channel: 'webhook', url: 'https://example.com/s' })).json();
      for (const to of states)
        await h.rt.store.messages.changeState(id, { to, at: Date.now(), source: 'test', type: to });
      const r = await post(`/v1/messages/${id}/cancel`, {});
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error.code, 'HERALD_INVALID_STATE');
      assert.match(r.json().error.message, /only a queued message can be cancelled/);
      const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
      assert.equal(m.state, states.at(-1));
      assert.ok(!m.events.some((e: { type: string }) => e.type === 'cancelled'), 'no cancelled event');
    }
  });

  test('bad input always gets a 4xx with a code and a message, never a 5xx', async () => {
    const cases: {
      name: string;
      payload?: string | object;
      url?: string;
      headers?: Record<string, string>;
      status: number;
      code: string;
    }[] = [
      {
        name: 'malformed JSON',
        payload: '{"channel": ',
        headers: { 'content-type': 'application/json' },
        status: 400,
        code: 'HERALD_BAD_JSON',
      },
      {
        name: 'empty body',
        payload: '',
        headers: { 'content-type': 'application/json' },
        status: 400,
        code: 'HERALD_BAD_JSON',
      },
      {
        name: 'not an object',
        payload: '[1,2]',
        headers: { 'content-type': 'application/json' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      { name: 'unknown channel', payload: { channel: 'fax', to: '1' }, status: 400, code: 'HERALD_VALIDATION' },
      { name: 'missing channel', payload: { to: 'a@b.c' }, status: 400, code: 'HERALD_VALIDATION' },
      {
        name: 'wrong type',
        payload: { channel: 'sms', to: 79001234567, text: 'x' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'priority out of range',
        payload: { channel: 'sms', to: '79001234567', text: 'x', priority: 10 },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'unknown field',
        payload: { channel: 'sms', to: '79001234567', text: 'x', bogus: 1 },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'email missing subject',
        payload: { channel: 'email', to: 'a@b.c', from: 'b@c.d', text: 'x' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'bad phone',
        payload: { channel: 'sms', to: 'call me', text: 'x' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      { name: 'bad URL', payload: { channel: 'webhook', url: 'not a url' }, status: 400, code: 'HERALD_VALIDATION' },
      {
        name: 'ftp URL',
        payload: { channel: 'webhook', url: 'ftp://example.com/x' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'bad sendAt',
        payload: { channel: 'webhook', url: 'https://e.com', sendAt: 'tomorrow' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'notAfter before sendAt',
        payload: {
          channel: 'webhook',
          url: 'https://e.com',
          sendAt: '2030-01-02T00:00:00Z',
          notAfter: '2030-01-01T00:00:00Z',
        },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'unknown provider',
        payload: { channel: 'sms', to: '79001234567', text: 'x', provider: 'nope' },
        status: 400,
        code: 'HERALD_VALIDATION',
      },
      {
        name: 'oversized body',
        payload: { channel: 'sms', to: '79001234567', text: 'x'.repeat(6 * 1024 * 1024) },
        status: 413,
        code: 'HERALD_BODY_TOO_LARGE',
      },
      {
        name: 'text/plain',
        payload: 'hello',
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'HERALD_UNSUPPORTED_MEDIA_TYPE',
      },
      { name: 'bad id', url: '/v1/messages/123/cancel', payload: {}, status: 400, code: 'HERALD_VALIDATION' },
    ];
    for (const c of cases) {
      const r = await h.inject({
        method: 'POST',
        url: c.url ?? '/v1/messages',
        headers: { ...h.auth, ...c.headers },
        payload: c.payload as string,
      });
      assert.equal(r.statusCode, c.status, `${c.name}: ${r.body.slice(0, 300)}`);
      const e = r.json().error;
      assert.equal(e.code, c.code, c.name);
      assert.ok(e.message.length > 0, c.name);
    }
    const getBad = await h.inject({ url: '/v1/messages/not-a-uuid', headers: h.auth });
    assert.equal(getBad.statusCode, 400);
    const unknownRoute = await h.inject({ url: '/v1/nothing', headers: h.auth });
    assert.equal(unknownRoute.statusCode, 404);
    assert.equal(unknownRoute.json().error.code, 'HERALD_ROUTE_NOT_FOUND');
  });

  test('metrics expose accepted counts and queue depth', async () => {
    const r = await h.inject({ url: '/metrics', headers: h.auth });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /herald_messages_accepted_total\{channel="webhook",provider="webhook"\} \d+/);
    assert.match(r.body, /herald_queue_depth\{state="queued"\} \d+/);
    // Routed e-mail counts under the provider that will carry it (the default outbox), like deliveries.
    assert.match(r.body, /herald_messages_accepted_total\{channel="email",provider="outbox-email"\} [1-9]/);
  });
});

describe('postback ingestion (seed 004)', () => {
  let h: TestHerald;
  before(async () => {
    h = await startHerald({ roles: ['api'] });
  });
  after(() => h.stop());

  const sample = {
    endpoint: { method: 'GET', url: 'http://sample_domain_endpoint.com/data?key={key}&value={value}&foo={bar}' },
    data: [
      { key: 'Azureus', value: 'Dendrobates' },
      { key: 'Phyllobates', value: 'Terribilis' },
    ],
  };

  for (const path of ['/ingest.php', '/i', '/v1/postbacks']) {
    test(`${path} makes one webhook message per data object`, async () => {
      const r = await h.inject({ method: 'POST', url: path, headers: h.auth, payload: sample });
      assert.equal(r.statusCode, 202, r.body);
      const { ids, count } = r.json();
      assert.equal(count, 2);
      const second = (await h.inject({ url: `/v1/messages/${ids[1]}`, headers: h.auth })).json();
      assert.equal(second.channel, 'webhook');
      assert.equal(second.to, 'http://sample_domain_endpoint.com/data?key=Phyllobates&value=Terribilis&foo=');
      assert.deepEqual(second.webhook.postback, { key: 'Phyllobates', value: 'Terribilis' });
    });
  }

  test('bad postbacks are 400 with a code', async () => {
    for (const payload of [
      {},
      { endpoint: { method: 'DELETE', url: 'http://x/' }, data: [{}] },
      { endpoint: { method: 'GET', url: 'http://x/' }, data: [] },
      { endpoint: { method: 'GET', url: 'nope{key}' }, data: [{ key: 1 }] },
      { endpoint: { method: 'GET', url: 'http://x/' }, data: 'no' },
    ]) {
      const r = await h.inject({ method: 'POST', url: '/i', headers: h.auth, payload });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(r.json().error.code, 'HERALD_VALIDATION');
    }
  });
});

describe('HERALD_COMPAT_AUTH=false', () => {
  test("seed 004's own paths take postbacks without a key; /v1/postbacks still needs one", async () => {
    const h = await startHerald({ roles: ['api'], env: { HERALD_COMPAT_AUTH: 'false' } });
    try {
      const payload = { endpoint: { method: 'GET', url: 'https://example.com/p?k={k}' }, data: [{ k: 1 }] };
      for (const url of ['/ingest.php', '/i']) {
        assert.equal((await h.inject({ method: 'POST', url, payload })).statusCode, 202, url);
      }
      assert.equal((await h.inject({ method: 'POST', url: '/v1/postbacks', payload })).statusCode, 401);
    } finally {
      await h.stop();
    }
  });
});
