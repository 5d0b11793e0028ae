import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald } from '../helpers/herald.ts';
import { PG_URL } from '../helpers/stores.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * The database unreachable → 503 HERALD_UNAVAILABLE with Retry-After, `/readyz` false, and both
 * back by themselves (issue 9, item 5). The outage is this test's own (a TCP proxy it cuts).
 */
test('postgres unreachable: 503 with Retry-After on the API and /readyz, then back to 202 and ready', async (t) => {
  const u = new URL(PG_URL);
  const proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
  t.after(() => proxy.close());
  const h = await startHerald({ backend: 'postgres', roles: ['api'], env: { DATABASE_URL: proxy.url(PG_URL) } });
  t.after(() => h.stop());
  const send = () =>
    h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: { channel: 'sms', to: '+79001234567', text: 'hi' },
    });
  assert.equal((await send()).statusCode, 202);
  assert.equal((await h.inject({ url: '/readyz' })).statusCode, 200);

  proxy.cut();
  const r = await send();
  assert.equal(r.statusCode, 503, r.body);
  assert.equal(r.json().error.code, 'HERALD_UNAVAILABLE');
  assert.equal(r.headers['retry-after'], '5');
  const list = await h.inject({ url: '/v1/messages', headers: h.auth });
  assert.equal(list.statusCode, 503, 'reads too');
  // A compatibility route answers 503 too, in its own system's shape.
  const compat = await h.inject({
    method: 'POST',
    url: '/send',
    headers: h.auth,
    payload: { sender: 's@example.com', recipient: 'r@example.com', message: 'hi' },
  });
  assert.equal(compat.statusCode, 503, compat.body);
  assert.equal(compat.headers['retry-after'], '5');
  assert.ok(compat.json().error, compat.body);
  const ready = await h.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.headers['retry-after'], '5');
  assert.match(ready.json().reason, /unreachable/);

  proxy.restore();
  await eventually(async () => ((await send()).statusCode === 202 ? true : undefined), 15_000, 'accepting again');
  await eventually(
    async () => ((await h.inject({ url: '/readyz' })).statusCode === 200 ? true : undefined),
    15_000,
    'ready again',
  );
});
