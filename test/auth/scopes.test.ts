import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { routeTable } from '../../src/api/plugins/auth.ts';
import { SCOPES, type Scope } from '../../src/auth/scopes.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { writeHeraldConfig } from '../providers/config-file.ts';

/** A key with exactly these scopes, made through the API with the test's admin key. */
async function keyWith(h: TestHerald, scopes: Scope[], name = scopes.join('+')): Promise<string> {
  const r = await h.inject({ method: 'POST', url: '/v1/keys', headers: h.auth, payload: { name, scopes } });
  assert.equal(r.statusCode, 201, r.body);
  return r.json<{ secret: string }>().secret;
}
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

/** A concrete URL for a route pattern (params and wildcards filled with a placeholder). */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, 'x').replace(/\*/g, 'x');

describe('every route declares its scope', () => {
  let h: TestHerald;
  before(async () => {
    const providers = [{ name: 'mail', channel: 'email', type: 'smtp', url: 'smtp://127.0.0.1:1' }];
    h = await startHerald({ roles: ['api'], env: { HERALD_CONFIG: writeHeraldConfig({ providers }) } });
  });
  after(() => h.stop());

  test('the route table has no route without a scope, and only known ones', () => {
    const routes = routeTable(h.rt.app!);
    assert.ok(routes.length > 60, `the table has the app's routes (${routes.length})`);
    const known = new Set<string>([...SCOPES, 'public', 'receipt']);
    const missing = routes.filter((r) => r.scope === undefined).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'routes without a declared scope');
    const unknown = routes.filter((r) => !known.has(r.scope!)).map((r) => `${r.method} ${r.url}: ${r.scope}`);
    assert.deepEqual(unknown, []);
    const scopeOf = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)?.scope;
    assert.equal(scopeOf('POST', '/v1/messages'), 'messages:write');
    assert.equal(scopeOf('GET', '/v1/messages'), 'messages:read');
    assert.equal(scopeOf('GET', '/metrics'), 'metrics');
    assert.equal(scopeOf('POST', '/send'), 'compat');
    assert.equal(scopeOf('POST', '/ingest.php'), 'compat');
    assert.equal(scopeOf('POST', '/v1/postbacks'), 'messages:write');
    assert.equal(scopeOf('POST', '/v1/keys'), 'admin');
    assert.equal(scopeOf('POST', '/v1/providers/:name/events'), 'receipt');
    assert.equal(scopeOf('GET', '/healthz'), 'public');
  });

  test('each scoped route refuses a key without its scope (403 naming it) and no key (401)', async () => {
    const routes = routeTable(h.rt.app!).filter((r) => r.scope !== 'public' && r.scope !== 'receipt');
    const keys = new Map<Scope, string>();
    for (const s of SCOPES) keys.set(s, await keyWith(h, [s]));
    for (const r of routes) {
      const needed = r.scope as Scope;
      const other = needed === 'metrics' ? 'compat' : 'metrics';
      const url = concrete(r.url);
      const method = r.method as 'GET' | 'HEAD';
      const none = await h.inject({ method, url });
      assert.equal(none.statusCode, 401, `${r.method} ${r.url} without a key`);
      const wrong = await h.inject({ method, url, headers: bearer(keys.get(other)!) });
      assert.equal(wrong.statusCode, 403, `${r.method} ${r.url} with a ${other} key: ${wrong.body}`);
      // Compatibility APIs answer in their own system's shape; native routes name the missing scope.
      if (method !== 'HEAD' && needed !== 'compat') {
        assert.equal(wrong.json().error?.code, 'HERALD_FORBIDDEN', `${r.method} ${r.url}: ${wrong.body}`);
        assert.match(wrong.json().error.message, new RegExp(`"${needed}"`));
      }
      for (const s of [needed, 'admin'] as const) {
        const right = await h.inject({ method, url, headers: bearer(keys.get(s)!) });
        assert.ok(![401, 403].includes(right.statusCode), `${r.method} ${r.url} with a ${s} key: ${right.statusCode}`);
      }
    }
  });
});
