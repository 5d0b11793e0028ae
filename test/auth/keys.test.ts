import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { startHerald, TEST_KEY, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS, freshUrl } from '../helpers/stores.ts';
import { fastKeyHash } from '../../src/api/plugins/auth.ts';

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

for (const backend of BACKENDS) {
  describe(`API keys: ${backend}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });
    async function herald(env: Record<string, string> = {}): Promise<TestHerald> {
      const h = await startHerald({ backend, roles: ['api'], env });
      cleanup.push(() => h.stop());
      return h;
    }

    test('create shows the secret once; list shows prefix, name, scopes, times; revoke stops it at once', async () => {
      const h = await herald();
      const made = await h.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: h.auth,
        payload: { name: 'shop backend', scopes: ['messages:write', 'messages:read'] },
      });
      assert.equal(made.statusCode, 201, made.body);
      const { key, secret } = made.json<{ key: { id: string; prefix: string }; secret: string }>();
      assert.ok(secret.length >= 40 && secret.startsWith(key.prefix));
      const send = () =>
        h.inject({
          method: 'POST',
          url: '/v1/messages',
          headers: bearer(secret),
          payload: { channel: 'webhook', url: 'https://example.com/h' },
        });
      assert.equal((await send()).statusCode, 202);
      const list = (await h.inject({ url: '/v1/keys', headers: h.auth })).json<{ items: Record<string, unknown>[] }>();
      const row = list.items.find((k) => k.id === key.id)!;
      assert.equal(row.name, 'shop backend');
      assert.deepEqual(row.scopes, ['messages:write', 'messages:read']);
      assert.equal(row.status, 'active');
      assert.equal(typeof row.lastUsedAt, 'string', 'last use is recorded');
      assert.equal(row.expiresAt, null);
      assert.ok(!JSON.stringify(list).includes(secret), 'the list never shows a secret');
      const env = list.items.find((k) => k.environment === true)!;
      assert.equal(env.name, 'HERALD_API_KEY');
      assert.deepEqual(env.scopes, ['admin']);

      const revoked = await h.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.auth });
      assert.equal(revoked.statusCode, 200);
      assert.equal(revoked.json().status, 'revoked');
      assert.equal((await send()).statusCode, 401, 'a revoked key is refused at once');
      const live = (await h.inject({ url: '/v1/keys', headers: h.auth })).json<{ items: { id: string }[] }>();
      assert.ok(!live.items.some((k) => k.id === key.id), 'revoked keys are left out unless asked for');
      const all = (await h.inject({ url: '/v1/keys?includeRevoked=true', headers: h.auth })).json<{
        items: { id: string }[];
      }>();
      assert.ok(all.items.some((k) => k.id === key.id));
      assert.equal((await h.inject({ method: 'DELETE', url: '/v1/keys/nope', headers: h.auth })).statusCode, 404);
    });

    test('verified keys are cached under a fast hash: one look-up, no false hit on a collision, revoke evicts', async () => {
      // Two different valid-looking secrets with the same fast hash (birthday search, bounded).
      const seen = new Map<number, string>();
      let pair: [string, string] | undefined;
      for (let i = 0; i < 1_000_000 && !pair; i++) {
        const k = `hk_collision_probe_${i.toString(36).padStart(6, '0')}`;
        const other = seen.get(fastKeyHash(k));
        if (other) pair = [other, k];
        else seen.set(fastKeyHash(k), k);
      }
      assert.ok(pair, 'found a colliding pair');
      const [real, twin] = pair;
      assert.notEqual(real, twin);
      assert.equal(fastKeyHash(real), fastKeyHash(twin));
      const h = await herald({ HERALD_API_KEY: real });
      const access = h.rt.app!.access;
      const list = (headers: { authorization: string }) => h.inject({ url: '/v1/keys', headers });
      const before = access.lookups;
      for (let i = 0; i < 5; i++) assert.equal((await list(bearer(real))).statusCode, 200);
      assert.equal(access.lookups - before, 1, 'the key table is read once, then the cache answers');
      assert.equal((await list(bearer(twin))).statusCode, 401, 'a colliding secret is not taken for the cached key');
      assert.equal((await list(bearer(real))).statusCode, 200, 'the cached key still works after the miss');

      const made = await h.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: bearer(real),
        payload: { name: 'short-lived', scopes: ['admin'] },
      });
      const { key, secret } = made.json<{ key: { id: string }; secret: string }>();
      assert.equal((await list(bearer(secret))).statusCode, 200);
      const cachedBefore = access.lookups;
      assert.equal(
        (await h.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: bearer(secret) })).statusCode,
        200,
      );
      assert.equal((await list(bearer(secret))).statusCode, 401, 'a revoked key stops at once');
      assert.equal((await list(bearer(real))).statusCode, 200);
      assert.equal(access.lookups - cachedBefore, 1, 'revoking one key evicts only that key');
    });

    test('bad key requests are 400s; a non-admin key cannot make keys; expired keys are refused', async () => {
      const h = await herald();
      const post = (payload: object, headers = h.auth) =>
        h.inject({ method: 'POST', url: '/v1/keys', headers, payload });
      for (const bad of [
        { name: 'x', scopes: [] },
        { name: 'x', scopes: ['everything'] },
        { name: '', scopes: ['metrics'] },
        { name: '   ', scopes: ['metrics'] },
        { name: 'x', scopes: ['metrics'], expiresAt: '2000-01-01T00:00:00Z' },
        { scopes: ['metrics'] },
      ]) {
        const r = await post(bad);
        assert.equal(r.statusCode, 400, `${JSON.stringify(bad)}: ${r.body}`);
        assert.equal(r.json().error.code, 'HERALD_VALIDATION');
      }
      const metrics = (await post({ name: 'prom', scopes: ['metrics'] })).json<{ secret: string }>().secret;
      const refused = await post({ name: 'escalate', scopes: ['admin'] }, bearer(metrics));
      assert.equal(refused.statusCode, 403);
      assert.match(refused.json().error.message, /"admin"/);
      const soon = new Date(Date.now() + 1500).toISOString();
      const temp = (await post({ name: 'temp', scopes: ['metrics'], expiresAt: soon })).json<{ secret: string }>();
      assert.equal((await h.inject({ url: '/metrics', headers: bearer(temp.secret) })).statusCode, 200);
      await new Promise((r) => setTimeout(r, 1600));
      const late = await h.inject({ url: '/metrics', headers: bearer(temp.secret) });
      assert.equal(late.statusCode, 401);
      assert.match(late.json().error.message, /expired/);
    });

    test('when HERALD_API_KEY changes, the previous environment key is revoked', async () => {
      const where = freshUrl(backend);
      const start = async (apiKey: string): Promise<Runtime> => {
        const config = loadConfig({ DATABASE_URL: where.url, HERALD_API_KEY: apiKey, LOG_LEVEL: 'silent' });
        return createRuntime(config, {
          roles: ['api'],
          schema: where.schema,
          logger: pino({ level: 'silent' }),
          processMetrics: false,
        });
      };
      const first = 'hk_first_environment_key_0001';
      const second = 'hk_second_environment_key_002';
      const a = await start(first);
      assert.equal((await a.app!.inject({ url: '/v1/messages', headers: bearer(first) })).statusCode, 200);
      await a.stop();
      const b = await start(second);
      cleanup.push(() => b.stop());
      assert.equal((await b.app!.inject({ url: '/v1/messages', headers: bearer(second) })).statusCode, 200);
      const old = await b.app!.inject({ url: '/v1/messages', headers: bearer(first) });
      assert.equal(old.statusCode, 401, 'the old environment key no longer answers');
      const audit = await b.app!.inject({ url: '/v1/audit?action=key.revoke', headers: bearer(second) });
      const entry = audit.json<{ items: { actor: { name: string }; detail: { reason: string } }[] }>().items[0]!;
      assert.equal(entry.actor.name, 'HERALD_API_KEY');
      assert.equal(entry.detail.reason, 'HERALD_API_KEY changed');
    });
  });
}

describe('key length and compat access', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test('HERALD_API_KEY shorter than 24 characters is refused at start', () => {
    assert.throws(() => loadConfig({ HERALD_API_KEY: 'x' }), /HERALD_API_KEY must be at least 24 characters \(got 1\)/);
    assert.throws(() => loadConfig({ HERALD_API_KEY: 'a'.repeat(23) }), /at least 24/);
    assert.equal(loadConfig({ HERALD_API_KEY: 'a'.repeat(24) }).apiKey, 'a'.repeat(24));
  });

  test('compat routes take a compat key; a messages key is refused', async () => {
    const h = await startHerald({ roles: ['api'] });
    cleanup.push(() => h.stop());
    const make = async (scopes: string[]) =>
      (await h.inject({ method: 'POST', url: '/v1/keys', headers: h.auth, payload: { name: 'k', scopes } })).json<{
        secret: string;
      }>().secret;
    const compat = await make(['compat']);
    const writer = await make(['messages:write']);
    const post = (headers: Record<string, string>) =>
      h.inject({
        method: 'POST',
        url: '/ingest.php',
        headers,
        payload: { endpoint: { method: 'GET', url: 'https://example.com/{a}' }, data: [{ a: 1 }] },
      });
    assert.equal((await post({})).statusCode, 401);
    assert.equal((await post(bearer(writer))).statusCode, 403);
    assert.equal((await post(bearer(compat))).statusCode, 202);
    const native = await h.inject({ url: '/v1/messages', headers: bearer(compat) });
    assert.equal(native.statusCode, 403, 'a compat key reaches only the compatibility APIs');
  });

  test('HERALD_COMPAT_ALLOW opens compat routes to the listed addresses only', async () => {
    const inside = await startHerald({ roles: ['api'], env: { HERALD_COMPAT_ALLOW: '127.0.0.0/8,::1' } });
    cleanup.push(() => inside.stop());
    const outside = await startHerald({ roles: ['api'], env: { HERALD_COMPAT_ALLOW: '10.0.0.0/8' } });
    cleanup.push(() => outside.stop());
    const payload = { endpoint: { method: 'GET', url: 'https://example.com/{a}' }, data: [{ a: 1 }] };
    // inject() comes from 127.0.0.1.
    assert.equal((await inside.inject({ method: 'POST', url: '/ingest.php', payload })).statusCode, 202);
    assert.equal((await inside.inject({ url: '/v1/messages' })).statusCode, 401, 'native routes still need a key');
    assert.equal((await outside.inject({ method: 'POST', url: '/ingest.php', payload })).statusCode, 401);
    const keyed = await outside.inject({
      method: 'POST',
      url: '/ingest.php',
      payload,
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    assert.equal(keyed.statusCode, 202, 'outside the list a key still works');
    assert.throws(() => loadConfig({ HERALD_COMPAT_ALLOW: '10.0.0.0/99' }), /HERALD_COMPAT_ALLOW/);
  });
});
