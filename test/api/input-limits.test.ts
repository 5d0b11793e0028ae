import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';

/**
 * Issue 9: input that used to end in a 500 — JSON nested thousands deep, NUL characters (which
 * PostgreSQL refuses), lone UTF-16 surrogates — is a 400 naming the field on every route and on
 * both stores, and nothing of it is stored.
 */
const NUL = 'a\u0000b';
const LONE = 'a\uD800b';
/** JSON text nesting `n` arrays (built as text: the value itself could not be serialised). */
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

for (const backend of BACKENDS) {
  describe(`input limits: ${backend}`, () => {
    let h: TestHerald;
    before(async () => {
      h = await startHerald({ backend, roles: ['api'] });
    });
    after(() => h.stop());

    const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
      h.inject({
        method: 'POST',
        url,
        headers: { ...h.auth, 'content-type': 'application/json', ...headers },
        payload,
      });
    const count = async () => (await h.rt.store.messages.countByState()).queued ?? 0;

    test('NUL and lone surrogates in any text field of a message: 400 naming the field', async () => {
      const before = await count();
      const cases: [object, string][] = [
        [{ channel: 'sms', to: '+79001234567', text: NUL }, 'text'],
        [{ channel: 'sms', to: '+79001234567', text: LONE }, 'text'],
        [{ channel: 'email', to: 'a@example.com', from: 'b@example.com', subject: NUL, text: 't' }, 'subject'],
        [{ channel: 'webhook', url: 'https://example.com/', body: { deep: [NUL] } }, 'body.deep[0]'],
        [{ channel: 'webhook', url: 'https://example.com/', metadata: { [NUL]: 1 } }, 'metadata'],
      ];
      for (const [body, field] of cases) {
        const r = await post('/v1/messages', JSON.stringify(body));
        assert.equal(r.statusCode, 400, r.body);
        const e = r.json().error;
        assert.equal(e.code, 'HERALD_VALIDATION');
        assert.ok(e.message.startsWith(`The request is not valid: ${field} `), e.message);
        assert.match(e.message, /NUL character|lone UTF-16 surrogate/);
      }
      assert.equal(await count(), before, 'nothing was stored');
    });

    test('JSON nested 5,000 deep in a body, metadata, attributes or postback data: 400, not 500', async () => {
      const d = deep(5000);
      const cases: [string, string][] = [
        ['/v1/messages', `{"channel":"webhook","url":"https://example.com/","body":${d}}`],
        ['/v1/messages', `{"channel":"sms","to":"+79001234567","text":"x","metadata":{"a":${d}}}`],
        ['/v1/contacts', `{"phone":"79001234567","attributes":{"a":${d}}}`],
        ['/v1/postbacks', `{"endpoint":{"method":"GET","url":"https://example.com/?k={k}"},"data":[{"k":${d}}]}`],
        ['/v1/messages/batch', `{"messages":[{"channel":"webhook","url":"https://example.com/","body":${d}}]}`],
      ];
      for (const [url, payload] of cases) {
        const r = await post(url, payload);
        assert.equal(r.statusCode, 400, `${url}: ${r.body.slice(0, 200)}`);
        assert.match(r.json().error.message, /nests deeper than 64 levels\.$/);
      }
      // 64 levels are fine.
      const ok = await post('/v1/messages', `{"channel":"webhook","url":"https://example.com/","body":${deep(63)}}`);
      assert.equal(ok.statusCode, 202, ok.body);
    });

    test('postbacks, contacts, query strings and path parameters are checked too', async () => {
      const pb = await post(
        '/v1/postbacks',
        JSON.stringify({ endpoint: { method: 'GET', url: 'https://example.com/?k={k}' }, data: [{ k: LONE }] }),
      );
      assert.equal(pb.statusCode, 400, pb.body);
      assert.match(pb.json().error.message, /^The request is not valid: data\[0\]\.k contains a lone UTF-16 surrogate/);
      const contact = await post('/v1/contacts', JSON.stringify({ phone: '79001234567', tag: NUL }));
      assert.equal(contact.statusCode, 400, contact.body);
      const query = await h.inject({ url: '/v1/messages?recipient=a%00b', headers: h.auth });
      assert.equal(query.statusCode, 400, query.body);
      assert.match(query.json().error.message, /^The request is not valid: query parameter recipient contains a NUL/);
      const param = await h.inject({ url: '/v1/preferences/a%00b', headers: h.auth });
      assert.equal(param.statusCode, 400, param.body);
      assert.match(param.json().error.message, /path parameter recipient contains a NUL/);
    });

    test('compatibility routes refuse the same input in their own shapes', async () => {
      const send = await post(
        '/send',
        JSON.stringify({ sender: 'a@example.com', recipient: 'b@example.com', message: NUL }),
      );
      assert.equal(send.statusCode, 400);
      assert.match(send.json().error, /message contains a NUL/);
      const sms = await post('/sms', JSON.stringify({ phone_number: '+79001234567', content: LONE }));
      assert.equal(sms.statusCode, 400);
      assert.match(sms.json().error, /content contains a lone UTF-16 surrogate/);
      const rpc = await post(
        '/rpc',
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'Postmaster.Enqueue',
          params: { to: 'a@example.com', from: 'b@example.com', subject: 's', text: NUL },
          id: 7,
        }),
      );
      assert.equal(rpc.statusCode, 200);
      assert.deepEqual(rpc.json().id, 7);
      assert.equal(rpc.json().error.code, -32602);
      assert.match(rpc.json().error.message, /^Invalid params: params\.text contains a NUL/);
      const drf = await post('/api/clients/', JSON.stringify({ phone_number: '79001234567', tag: NUL }));
      assert.equal(drf.statusCode, 400);
      assert.match(drf.json().detail, /tag contains a NUL/);
      const form = await h.inject({
        method: 'POST',
        url: '/api/clients/',
        headers: { ...h.auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'phone_number=79001234568&tag=a%00b',
      });
      assert.equal(form.statusCode, 400, form.body);
      const ingest = await post(
        '/i',
        `{"endpoint":{"method":"GET","url":"https://example.com/"},"data":[{"k":${deep(100)}}]}`,
      );
      assert.equal(ingest.statusCode, 400);
    });

    test('a contact import rejects the row, not the file', async () => {
      const ndjson = [
        JSON.stringify({ phone: '79001110001' }),
        JSON.stringify({ phone: '79001110002', attributes: { name: NUL } }),
        `{"phone":"79001110003","attributes":{"a":${deep(200)}}}`,
      ].join('\n');
      const r = await h.inject({
        method: 'POST',
        url: '/v1/contacts/import',
        headers: { ...h.auth, 'content-type': 'application/x-ndjson' },
        payload: ndjson,
      });
      assert.equal(r.statusCode, 200, r.body);
      const report = r.json();
      assert.equal(report.accepted, 1);
      assert.deepEqual(
        report.errors.map((e: { row: number; reason: string }) => [e.row, /NUL|deeper/.test(e.reason)]),
        [
          [2, true],
          [3, true],
        ],
      );
      const csv = await h.inject({
        method: 'POST',
        url: '/v1/contacts/import',
        headers: { ...h.auth, 'content-type': 'text/csv' },
        payload: `phone,tag\n79001110004,a\u0000b\n79001110005,ok\n`,
      });
      assert.equal(csv.statusCode, 200, csv.body);
      assert.equal(csv.json().accepted, 1);
      assert.match(csv.json().errors[0].reason, /^tag contains a NUL/);
    });
  });
}
