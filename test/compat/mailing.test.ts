import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { configFile, waitState } from './helpers.ts';
import { databaseForTests } from '../../src/store/open-store.ts';

/** Seed 000 against a started Herald whose `http` provider posts to a real HTTP server (the seed's API_BASE). */
void describe('compat: mailing microservice (seed 000)', () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops.reverse()) await s();
  });

  async function setup(
    opts: { answer?: (n: number) => number; env?: Record<string, string>; startWorker?: boolean } = {},
  ) {
    const sink = await startSink((_r, n) => ({ status: opts.answer?.(n) ?? 202, body: '{}' }));
    stops.push(() => sink.close());
    const HERALD_CONFIG = configFile({
      providers: [
        {
          name: 'mailer',
          channel: 'email',
          type: 'http',
          url: `${sink.url}/send`,
          concurrency: 1,
          retrySchedule: '0,20ms,20ms',
        },
      ],
    });
    const h = await startHerald({ env: { HERALD_CONFIG, ...opts.env }, startWorker: opts.startWorker });
    stops.push(() => h.stop());
    const call = (method: string, url: string, payload?: unknown, headers: Record<string, string> = h.auth) =>
      h.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload: payload as string } : {}),
      });
    return { h, sink, call };
  }

  const example = {
    sender: 'sender@example.com',
    recipient: 'receiver@example.com',
    message: 'Hello World!',
    priority: 4,
  };

  void test("the seed's example: send, status, webhook", async () => {
    const { h, sink, call } = await setup();
    const r = await call('POST', '/send', example);
    assert.equal(r.statusCode, 202);
    const { request_id: id, ...rest } = r.json();
    assert.deepEqual(rest, { status: 'processing', priority: 4 });
    assert.match(id, /^[0-9a-f-]{36}$/);
    await waitState(h, id, 'sent');
    const posted = JSON.parse(sink.requests[0]!.body);
    assert.deepEqual(posted, {
      id,
      sender: 'sender@example.com',
      recipient: 'receiver@example.com',
      subject: '(no subject)',
      html: 'Hello World!',
      text: null,
    });
    assert.deepEqual((await call('GET', `/status/${id}`)).json(), {
      request_id: id,
      status: 'processing',
      priority: 4,
    });
    // The seed shows upper-case ids: they are accepted too.
    assert.equal((await call('GET', `/status/${id.toUpperCase()}`)).json().status, 'processing');
    const w = await call('POST', '/status-webhook', { ID: id, STATUS: 'DELIVERED' });
    assert.equal(w.statusCode, 200);
    assert.deepEqual(w.json(), { request_id: id, status: 'delivered', priority: 4 });
    // Final stays final.
    assert.equal((await call('POST', '/status-webhook', { ID: id, STATUS: 'FAILED' })).json().status, 'delivered');
    assert.equal((await call('GET', `/status/${id}`)).json().status, 'delivered');
    assert.equal((await h.rt.store.messages.get(id))!.state, 'delivered');
  });

  void test('REJECTED is a bounce: rejected, and the recipient is suppressed; FAILED is failed; provider ids work', async () => {
    const { h, call } = await setup();
    const a = (await call('POST', '/send', { ...example, recipient: 'gone@example.com' })).json();
    const b = (await call('POST', '/send', { ...example, recipient: 'other@example.com', priority: undefined })).json();
    assert.equal(b.priority, 0);
    await waitState(h, a.request_id, 'sent');
    await waitState(h, b.request_id, 'sent');
    assert.equal(
      (await call('POST', '/status-webhook', { ID: a.request_id, STATUS: 'REJECTED' })).json().status,
      'rejected',
    );
    const s = await call('GET', '/v1/suppressions/gone@example.com');
    assert.equal(s.statusCode, 200);
    assert.equal(s.json().source, 'bounce');
    // The next mail to that address is refused at once.
    assert.equal(
      (await call('POST', '/send', { ...example, recipient: 'gone@example.com' })).json().status,
      'rejected',
    );
    // The delivery service's own id finds the message too.
    await databaseForTests(h.rt.store)
      .updateTable('messages')
      .set({ provider_message_id: 'ds-77' })
      .where('id', '=', b.request_id)
      .execute();
    const f = await call('POST', '/status-webhook', { ID: 'ds-77', STATUS: 'failed' });
    assert.deepEqual(f.json(), { request_id: b.request_id, status: 'failed', priority: 0 });
  });

  void test('HERALD_AUTO_SUPPRESS=false: REJECTED receipts leave the suppression list alone', async () => {
    const { h, call } = await setup({ env: { HERALD_AUTO_SUPPRESS: 'false' } });
    const a = (await call('POST', '/send', { ...example, recipient: 'kept@example.com' })).json();
    const b = (await call('POST', '/send', { ...example, recipient: 'kept2@example.com' })).json();
    await waitState(h, a.request_id, 'sent');
    await waitState(h, b.request_id, 'sent');
    assert.equal(
      (await call('POST', '/status-webhook', { ID: a.request_id, STATUS: 'REJECTED' })).json().status,
      'rejected',
    );
    // The provider's receipts endpoint takes the same body (with a key: mailer has no webhookPassword) and follows the same switch.
    const r = await call('POST', '/v1/providers/mailer/events', { ID: b.request_id, STATUS: 'REJECTED' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await call('GET', `/status/${b.request_id}`)).json().status, 'rejected');
    assert.deepEqual((await call('GET', '/v1/suppressions')).json().items, []);
  });

  void test('priority first; a failed hand-over is queued and retried by the worker', async () => {
    const { h, sink, call } = await setup({ answer: (n) => (n === 1 ? 503 : 202), startWorker: false });
    const low = (await call('POST', '/send', { ...example, priority: 1, message: 'low' })).json();
    const high = (await call('POST', '/send', { ...example, priority: 9, message: 'high' })).json();
    h.rt.worker!.start();
    await waitState(h, low.request_id, 'sent');
    await waitState(h, high.request_id, 'sent');
    const order = sink.requests.map((r) => JSON.parse(r.body).html);
    // Highest priority first; its 503 sends it back to the queue (backoff) while the next one goes.
    assert.deepEqual(order, ['high', 'low', 'high']);
    const d = (await call('GET', `/v1/messages/${high.request_id}`)).json();
    assert.equal(d.attempts.length, 2);
  });

  void test('bad input answers {"error"} with a 4xx, never a 5xx', async () => {
    const { call } = await setup({ startWorker: false });
    const cases: [unknown, string | RegExp][] = [
      [{ ...example, sender: 5 }, 'sender is required and must be a string'],
      [{ ...example, recipient: undefined }, 'recipient is required and must be a string'],
      [{ ...example, message: ['x'] }, 'message is required and must be a string'],
      [{ ...example, message: '' }, 'message is required and must be a string'],
      [{ ...example, priority: 'high' }, 'priority must be an integer from 0 to 9'],
      [{ ...example, priority: 2.5 }, 'priority must be an integer from 0 to 9'],
      [{ ...example, priority: -1 }, 'priority must be an integer from 0 to 9'],
      [{ ...example, recipient: 'nobody' }, 'recipient must be an e-mail address'],
      [{ ...example, sender: 'a b@c' }, 'sender must be an e-mail address'],
      ['[1,2]', 'the request body must be a JSON object'],
      ['"text"', 'the request body must be a JSON object'],
      ['null', 'the request body must be a JSON object'],
      ['{"sender": ', /^malformed JSON/],
      ['', /malformed JSON|must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await call('POST', '/send', typeof body === 'string' ? body : JSON.stringify(body), {
        ...{ authorization: `Bearer hk_test_key_0123456789abcdef` },
        'content-type': 'application/json',
      });
      assert.equal(r.statusCode, 400, `${JSON.stringify(body)} → ${r.body}`);
      const err = r.json().error;
      assert.equal(typeof err, 'string');
      if (typeof message === 'string') assert.equal(err, message);
      else assert.match(err, message);
    }
    // No Content-Type, or text/plain: read as JSON all the same (the PHP original did).
    const plain = await call('POST', '/send', JSON.stringify(example), {
      authorization: 'Bearer hk_test_key_0123456789abcdef',
      'content-type': 'text/plain',
    });
    assert.equal(plain.statusCode, 202);
    assert.equal((await call('POST', '/send', { ...example, priority: '7' })).json().priority, 7);
    for (const [body, status] of [
      [{ ID: 5, STATUS: 'DELIVERED' }, 400],
      [{ STATUS: 'DELIVERED' }, 400],
      [{ ID: 'x' }, 400],
      [{ ID: '01a201b2-0e24-77de-9216-c4ca122d4513', STATUS: 'DELIVERED' }, 404],
      ['nope', 400],
    ] as const) {
      const r = await call('POST', '/status-webhook', typeof body === 'string' ? body : JSON.stringify(body));
      assert.equal(r.statusCode, status, `${JSON.stringify(body)} → ${r.body}`);
      assert.equal(typeof r.json().error, 'string');
    }
    const nf = await call('GET', '/status/not-a-uuid');
    assert.equal(nf.statusCode, 404);
    assert.deepEqual(nf.json(), { error: 'request not-a-uuid not found' });
    const noKey = await call('POST', '/send', example, {});
    assert.equal(noKey.statusCode, 401);
    assert.equal(typeof noKey.json().error, 'string');
  });

  void test('HERALD_COMPAT_AUTH=false serves the compat routes without a key; the native API still needs one', async () => {
    const { h, call } = await setup({ env: { HERALD_COMPAT_AUTH: 'false' }, startWorker: false });
    const r = await call('POST', '/send', example, {});
    assert.equal(r.statusCode, 202);
    assert.equal((await call('GET', `/status/${r.json().request_id}`, undefined, {})).statusCode, 200);
    const rpc = await call(
      'POST',
      '/rpc',
      { jsonrpc: '2.0', method: 'Postmaster.GetLastEmail', params: { to: 'a@b', uniqueID: 'x' }, id: 1 },
      {},
    );
    assert.deepEqual(rpc.json(), { jsonrpc: '2.0', result: { stat: null }, id: 1 });
    assert.equal((await call('POST', '/sms', { phone_number: '+48123456789', content: 'hi' }, {})).statusCode, 202);
    assert.equal((await call('GET', '/v1/messages', undefined, {})).statusCode, 401);
    assert.equal((await call('GET', '/v1/suppressions', undefined, {})).statusCode, 401);
    await eventually(async () => ((await h.rt.store.messages.countByState()).queued === 2 ? true : undefined));
  });
});
