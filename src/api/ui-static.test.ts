import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { uiRoutes, type UiSource } from './ui-static.ts';

async function appWith(root: string, source?: UiSource) {
  const app = Fastify();
  await app.register(uiRoutes, { root, source });
  return app;
}

void test('without a built UI, /admin/ answers a clear 503 page, not a crash', async () => {
  const app = await appWith(mkdtempSync(join(tmpdir(), 'herald-ui-')));
  const r = await app.inject('/admin/messages');
  assert.equal(r.statusCode, 503);
  assert.match(r.body, /admin UI is not built/);
  assert.match(r.body, /npm run build:ui/);
  await app.close();
});

void test('the 503 page says what is true where Herald runs: a checkout with or without Vite, a package', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'herald-ui-'));
  const page = async (source: UiSource) => {
    const app = await appWith(empty, source);
    const r = await app.inject('/admin/');
    await app.close();
    assert.equal(r.statusCode, 503);
    return r.body;
  };
  assert.match(await page('checkout'), /npm start<\/code> does this by itself/);
  const noVite = await page('checkout-without-vite');
  assert.match(noVite, /Vite, a dev dependency, is not installed/);
  assert.doesNotMatch(noVite, /npm start<\/code> does this by itself/);
  const pkg = await page('package');
  assert.match(pkg, /no <code>dist\/ui<\/code>/);
  assert.doesNotMatch(pkg, /build:ui/);
});

void test('serves files, falls back to index.html for UI routes, 404s missing assets, redirects / and /admin', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'herald-ui-')), 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>ui</title>');
  writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  const app = await appWith(root);

  const home = await app.inject('/');
  assert.equal(home.statusCode, 302);
  assert.equal(home.headers.location, '/admin/');
  assert.equal((await app.inject('/admin')).headers.location, '/admin/');

  const index = await app.inject('/admin/');
  assert.equal(index.statusCode, 200);
  assert.match(index.body, /<title>ui<\/title>/);
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.match(String(index.headers['content-security-policy']), /script-src 'self';.*frame-ancestors 'none'/);
  assert.equal(index.headers['x-frame-options'], 'DENY');

  const deep = await app.inject('/admin/messages/0190-abc');
  assert.equal(deep.statusCode, 200);
  assert.match(String(deep.headers['content-type']), /text\/html/);

  const asset = await app.inject('/admin/assets/app-1234.js');
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers['cache-control']), /immutable/);
  assert.equal((await app.inject('/admin/assets/gone.js')).statusCode, 404);
  writeFileSync(join(root, '..', 'secret.txt'), 'outside the root');
  const escape = await app.inject('/admin/%2e%2e/secret.txt');
  assert.ok(!escape.body.includes('outside the root'), 'no file outside the UI root is served');
  await app.close();
});
