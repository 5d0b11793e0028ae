import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { eventually, startHerald, TEST_KEY, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { Engagement } from '../../src/domain/message.ts';
import { configFile, waitState } from './helpers.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

type Rpc = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: { code: number; message: string } };

/** Seed 001 against a started Herald whose `http` e-mail provider posts to a real HTTP server. */
void describe('compat: postmaster JSON-RPC (seed 001)', () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops.reverse()) await s();
  });

  async function setup(env: Record<string, string> = {}) {
    const sink = await startSink(() => ({ status: 200 }));
    stops.push(() => sink.close());
    const HERALD_CONFIG = configFile({
      providers: [{ name: 'sendgridish', channel: 'email', type: 'http', url: `${sink.url}/mail` }],
    });
    const h = await startHerald({ env: { HERALD_CONFIG, ...env } });
    stops.push(() => h.stop());
    const rpc = async (body: unknown, headers: Record<string, string> = h.auth) => {
      const r = await h.inject({
        method: 'POST',
        url: '/rpc',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      assert.ok(r.statusCode < 500, r.body);
      return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Rpc | Rpc[]) : undefined };
    };
    const call = async (method: string, params: unknown, id: unknown = 1) =>
      (await rpc({ jsonrpc: '2.0', method, params, id })).body as Rpc;
    return { h, sink, rpc, call };
  }

  const lastTo = async (h: TestHerald, to: string) => (await h.rt.store.messages.list({ recipient: to }, 1)).items[0]!;

  void test('Enqueue: @test is accepted and never sent; real addresses go to the provider', async () => {
    const { h, sink, call } = await setup();
    assert.deepEqual(
      await call('Postmaster.Enqueue', { to: 'test@test', from: 'test@test', subject: 'Test', text: 'Yo' }),
      {
        jsonrpc: '2.0',
        result: { success: true },
        id: 1,
      },
    );
    const t = await lastTo(h, 'test@test');
    await waitState(h, t.id, 'delivered');
    const real = await call('Postmaster.Enqueue', {
      to: 'ann@example.com',
      toName: 'Ann',
      from: 'news@example.com',
      fromName: 'News',
      subject: 'Weekly',
      html: '<b>hi</b>',
      uniqueArgs: { campaign: 'w1' },
      flags: 4,
      uniqueID: 'weekly-1',
    });
    assert.deepEqual(real.result, { success: true });
    const m = await lastTo(h, 'ann@example.com');
    await waitState(h, m.id, 'sent');
    assert.equal(sink.requests.length, 1, 'only the real address reached the provider');
    const posted = JSON.parse(sink.requests[0]!.body);
    assert.equal(posted.recipient, 'ann@example.com');
    assert.equal(posted.html, '<b>hi</b>');
    assert.equal(m.categories, 4);
    assert.equal(m.uniqueId, 'weekly-1');
    assert.deepEqual(m.metadata, { toName: 'Ann', fromName: 'News', uniqueArgs: { campaign: 'w1' } });
    // Params as an array holding one object (gorilla json2) work too.
    const arr = await call('Postmaster.Enqueue', [
      { to: 'b@example.com', from: 'n@example.com', subject: 's', text: 't' },
    ]);
    assert.deepEqual(arr.result, { success: true });
  });

  void test('UpdatePrefs drops opted-out categories silently; GetLastEmail shows it', async () => {
    const { h, call } = await setup();
    assert.deepEqual((await call('Postmaster.UpdatePrefs', { email: 'Zed@Example.com', flags: 4 | 16 })).result, {
      success: true,
    });
    const r = await call('Postmaster.Enqueue', {
      to: 'zed@example.com',
      from: 'n@example.com',
      subject: 'Promo',
      text: 'Buy',
      flags: 16,
      uniqueID: 'promo',
    });
    assert.deepEqual(r.result, { success: true }); // silently dropped, as postmaster did
    const stat = (await call('Postmaster.GetLastEmail', { to: 'zed@example.com', uniqueID: 'promo' })).result as {
      stat: Record<string, unknown>;
    };
    assert.equal(stat.stat.stateFlags, 16);
    assert.equal(stat.stat.emailFlags, 16);
    assert.equal(stat.stat.error, 'recipient opted out of category 16');
    assert.equal(stat.stat.recipient, 'zed@example.com');
    assert.equal(typeof stat.stat.tsCreated, 'number');
    // Opting into everything again lets the category through.
    await call('Postmaster.UpdatePrefs', { email: 'zed@example.com', flags: 1 });
    await call('Postmaster.Enqueue', {
      to: 'zed@example.com',
      from: 'n@example.com',
      subject: 'P',
      text: 'B',
      flags: 16,
      uniqueID: 'promo',
    });
    const m = await lastTo(h, 'zed@example.com');
    assert.notEqual(m.state, 'suppressed');
    const flags0 = await call('Postmaster.UpdatePrefs', { email: 'zed@example.com', flags: 0 });
    assert.equal(flags0.error!.code, -32602);
  });

  void test('GetLastEmail: the newest with that uniqueID, state flags OR-ed from receipts', async () => {
    const { h, call } = await setup();
    const enqueue = (subject: string) =>
      call('Postmaster.Enqueue', {
        to: 'u@example.com',
        from: 'n@example.com',
        subject,
        text: 'x',
        uniqueID: 'fav',
        flags: 2,
      });
    await enqueue('first');
    await enqueue('second');
    const m = await lastTo(h, 'u@example.com');
    assert.equal(m.subject, 'second');
    await waitState(h, m.id, 'sent');
    await h.rt.store.messages.changeState(m.id, { to: 'delivered', at: Date.now(), source: 't', type: 'delivered' });
    await h.rt.store.messages.changeState(m.id, {
      to: 'delivered',
      at: Date.now(),
      source: 't',
      type: 'open',
      engagement: Engagement.opened | Engagement.spam,
    });
    const r = (await call('Postmaster.GetLastEmail', { to: 'u@example.com', uniqueID: 'fav' })).result as {
      stat: Record<string, unknown>;
    };
    assert.deepEqual(
      { ...r.stat, tsCreated: 0, tsUpdated: 0 },
      {
        recipient: 'u@example.com',
        emailFlags: 2,
        stateFlags: 2 | 4 | 32,
        uniqueID: 'fav',
        tsCreated: 0,
        tsUpdated: 0,
        error: '',
      },
    );
    assert.equal(r.stat.tsCreated, Math.floor(m.createdAt / 1000));
    assert.deepEqual((await call('Postmaster.GetLastEmail', { to: 'u@example.com', uniqueID: 'none' })).result, {
      stat: null,
    });
  });

  void test('wrong types, missing fields, unknown methods: JSON-RPC errors, never HTTP 5xx', async () => {
    const { rpc, call } = await setup();
    const invalidParams: [string, unknown][] = [
      ['Postmaster.Enqueue', {}],
      ['Postmaster.Enqueue', { to: 'a@example.com', from: 'b@example.com', subject: 's' }],
      ['Postmaster.Enqueue', { to: 'a@example.com', from: 'b@example.com', subject: 's', text: 5 }],
      ['Postmaster.Enqueue', { to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't', flags: '4' }],
      ['Postmaster.Enqueue', { to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't', flags: -2 }],
      ['Postmaster.Enqueue', { to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't', uniqueArgs: 'x' }],
      ['Postmaster.Enqueue', { to: 'not an address', from: 'b@example.com', subject: 's', text: 't' }],
      ['Postmaster.Enqueue', [1, 2]],
      ['Postmaster.UpdatePrefs', { email: 'a@example.com' }],
      ['Postmaster.UpdatePrefs', { email: 'a@example.com', flags: 2.5 }],
      ['Postmaster.UpdatePrefs', { email: 5, flags: 2 }],
      ['Postmaster.GetLastEmail', { to: 'a@example.com' }],
      ['Postmaster.GetLastEmail', { to: 'a@example.com', uniqueID: 9 }],
    ];
    for (const [method, params] of invalidParams) {
      const r = await call(method, params, 'x');
      assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params)} → ${JSON.stringify(r)}`);
      assert.match(r.error.message, /^Invalid params: /);
      assert.equal(r.id, 'x');
    }
    assert.equal((await call('postmaster.enqueue', {})).error?.code, -32601);
    assert.equal((await call('Postmaster.Enqueue', 'text')).error?.code, -32600);
    assert.equal(((await rpc('{')).body as Rpc).error?.code, -32700);
    assert.equal(((await rpc('')).body as Rpc).error?.code, -32700);
    assert.equal(((await rpc('[]')).body as Rpc).error?.code, -32600);
    const noKey = await rpc({ jsonrpc: '2.0', method: 'Postmaster.GetLastEmail', params: {}, id: 1 }, {});
    assert.equal(noKey.status, 401);
    assert.equal((noKey.body as Rpc).error?.code, -32001);
    assert.equal((noKey.body as Rpc).jsonrpc, '2.0');
  });

  void test('a batch of Enqueues lands together; notifications get no answer', async () => {
    const { h, rpc } = await setup();
    const batch = Array.from({ length: 50 }, (_, i) => ({
      jsonrpc: '2.0',
      method: 'Postmaster.Enqueue',
      params: { to: `batch${i}@test`, from: 'n@example.com', subject: 's', text: 't' },
      ...(i % 10 === 0 ? {} : { id: i }),
    }));
    const r = await rpc(batch);
    const answers = r.body as Rpc[];
    assert.equal(answers.length, 45);
    assert.deepEqual(
      answers.map((a) => a.id),
      batch.filter((b) => 'id' in b).map((b) => (b as { id: number }).id),
    );
    assert.ok(answers.every((a) => (a.result as { success: boolean }).success));
    await eventually(async () => {
      const n = (await h.rt.store.messages.list({}, 100)).items.filter((m) => m.recipient.startsWith('batch')).length;
      return n === 50 ? n : undefined;
    });
    const only = await rpc([
      { jsonrpc: '2.0', method: 'Postmaster.UpdatePrefs', params: { email: 'q@example.com', flags: 2 } },
    ]);
    assert.equal(only.status, 204);
    assert.equal(only.body, undefined);
    assert.equal(
      (await h.inject({ method: 'GET', url: '/v1/preferences/q@example.com', headers: h.auth })).json().optOut,
      2,
    );
  });

  void test('provider receipts behind basic auth (--webhook-pass) drive stateFlags; a bounce suppresses', async () => {
    const sink = await startSink(() => ({ status: 200 }));
    stops.push(() => sink.close());
    const HERALD_CONFIG = configFile({
      providers: [{ name: 'mailer', channel: 'email', type: 'http', url: `${sink.url}/mail`, webhookPassword: 'pw' }],
    });
    const h = await startHerald({ env: { HERALD_CONFIG } });
    stops.push(() => h.stop());
    const rpc = async (method: string, params: unknown) =>
      (
        await h.inject({
          method: 'POST',
          url: '/rpc',
          headers: h.auth,
          payload: { jsonrpc: '2.0', method, params, id: 1 },
        })
      ).json<Rpc>();
    for (const to of ['ok@example.com', 'gone@example.com'])
      await rpc('Postmaster.Enqueue', { to, from: 'n@example.com', subject: 's', text: 't', uniqueID: 'k' });
    const ok = await lastTo(h, 'ok@example.com');
    const gone = await lastTo(h, 'gone@example.com');
    await waitState(h, ok.id, 'sent');
    await waitState(h, gone.id, 'sent');
    const events = (body: unknown, password?: string) =>
      h.inject({
        method: 'POST',
        url: '/v1/providers/mailer/events',
        headers: password ? { authorization: `Basic ${Buffer.from(`x:${password}`).toString('base64')}` } : {},
        payload: body as object,
      });
    assert.equal((await events({ ID: ok.id, STATUS: 'DELIVERED' })).statusCode, 401);
    assert.equal((await events({ ID: ok.id, STATUS: 'DELIVERED' }, 'wrong')).statusCode, 401);
    const r = await events(
      [
        { ID: ok.id, STATUS: 'DELIVERED' },
        { ID: gone.id, STATUS: 'REJECTED' },
      ],
      'pw',
    );
    assert.equal(r.statusCode, 200, r.body);
    const stat = async (to: string) =>
      ((await rpc('Postmaster.GetLastEmail', { to, uniqueID: 'k' })).result as { stat: Record<string, unknown> }).stat;
    assert.equal((await stat('ok@example.com')).stateFlags, 2);
    const g = await stat('gone@example.com');
    assert.equal(g.stateFlags, 8);
    assert.equal(g.error, 'provider reported REJECTED');
    const s = await h.inject({ method: 'GET', url: '/v1/suppressions/gone@example.com', headers: h.auth });
    assert.equal(s.json().source, 'bounce');
  });

  void test('HERALD_RPC_PORT: a real listener answering JSON-RPC on every path', async () => {
    const { h } = await setup({ HERALD_RPC_PORT: '39998' });
    const url = await h.rt.rpcApp!.listen({ port: 0, host: '127.0.0.1' });
    const post = async (path: string, body: string, headers: Record<string, string> = h.auth) => {
      const r = await request(`${url}${path}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      return { status: r.statusCode, json: (await r.body.json()) as Rpc };
    };
    const body = JSON.stringify({
      jsonrpc: '2.0',
      method: 'Postmaster.GetLastEmail',
      params: { to: 'a@b', uniqueID: 'x' },
      id: 3,
    });
    for (const path of ['/', '/rpc', '/some/other/path']) {
      const r = await post(path, body);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { jsonrpc: '2.0', result: { stat: null }, id: 3 });
    }
    assert.equal((await post('/x', '{oops')).json.error?.code, -32700);
    const noKey = await post('/', body, {});
    assert.equal(noKey.status, 401);
    assert.equal(noKey.json.error?.code, -32001);
    const get = await request(`${url}/`, { method: 'GET', headers: { authorization: `Bearer ${TEST_KEY}` } });
    assert.equal(get.statusCode, 405);
    assert.equal(((await get.body.json()) as Rpc).error?.code, -32600);
  });

  void test('HERALD_RPC_PORT must differ from PORT', () => {
    assert.throws(
      () => loadConfig({ PORT: '3000', HERALD_RPC_PORT: '3000' }),
      (err: ConfigError) => err.problems.some((p) => p.startsWith('HERALD_RPC_PORT must differ from PORT')),
    );
    assert.equal(loadConfig({ PORT: '3000', HERALD_RPC_PORT: '3001' }).rpcPort, 3001);
  });

  void test('HERALD_RPC_PORT with HERALD_COMPAT_AUTH=false needs no key', async () => {
    const { h } = await setup({ HERALD_RPC_PORT: '39997', HERALD_COMPAT_AUTH: 'false' });
    const r = await h.rt.rpcApp!.inject({
      method: 'POST',
      url: '/',
      payload: {
        jsonrpc: '2.0',
        method: 'Postmaster.UpdatePrefs',
        params: { email: 'k@example.com', flags: 1 },
        id: 1,
      },
    });
    assert.deepEqual(r.json(), { jsonrpc: '2.0', result: { success: true }, id: 1 });
  });
});
