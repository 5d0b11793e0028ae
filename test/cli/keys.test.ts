import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashKey } from '../../src/auth/api-keys.ts';
import { openStore } from '../../src/store/open-store.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

/** `herald keys …` as a real command on a fresh SQLite database. */
test('herald keys create, list and revoke work on the database directly (audited)', async () => {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-keys-')), 'h.db')}`;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, 'keys', ...args], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent', HERALD_API_KEY: '' },
      encoding: 'utf8',
    });
  const made = run('create', '--name', 'recovery', '--scope', 'admin', '--expires-in', '1d');
  assert.equal(made.status, 0, made.stderr);
  const secret = made.stdout.trim();
  assert.match(secret, /^hk_[A-Za-z0-9_-]{43}$/, 'stdout is the secret alone');
  assert.match(made.stderr, /Created key \S+ "recovery" \(admin\)/);

  const bad = run('create', '--name', 'x', '--scope', 'everything');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown scope "everything"/);
  assert.equal(run('frobnicate').status, 2);

  const listed = run('list');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^ID\s+PREFIX\s+NAME\s+SCOPES\s+STATUS/);
  assert.match(listed.stdout, new RegExp(`${secret.slice(0, 10)}\\s+recovery\\s+admin\\s+active`));
  const [key] = JSON.parse(run('list', '--json').stdout) as { id: string; expiresAt: number }[];
  assert.ok(key!.expiresAt > Date.now());

  const store = await openStore({ url });
  try {
    assert.equal((await store.apiKeys.findByHash(hashKey(secret)))?.id, key!.id, 'the key authenticates');
    const revoked = run('revoke', secret.slice(0, 8));
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, /Revoked/);
    assert.equal(await store.apiKeys.findByHash(hashKey(secret)), undefined, 'revoked: no longer found');
    assert.match(run('revoke', key!.id).stdout, /already revoked/);
    assert.equal(run('revoke', 'hk_nope').status, 1);
    const audit = (await store.audit.list({}, 10)).items.map((e) => [e.action, e.actor.name.startsWith('cli:')]);
    assert.deepEqual(audit, [
      ['key.revoke', true],
      ['key.create', true],
    ]);
  } finally {
    await store.close();
  }
});
