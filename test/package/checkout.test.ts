import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listeningAt, runProcess, startProcess } from '../helpers/cli.ts';
import { ENGINES_MIN, mustRun, olderSystemNode, operatorEnv, ROOT } from './npm.ts';

const NODE_24 = dirname(process.execPath);

/**
 * A checkout installed for production only (`npm ci --omit=dev`): no Vite to build the admin UI,
 * and no pinned Node 24 for the npm scripts. `npm start` must still start Herald (or say in one
 * line which Node it needs), print no stack trace, and /admin must give advice that is true here.
 */
void describe('a checkout installed with npm ci --omit=dev', { timeout: 300_000 }, () => {
  const copy = mkdtempSync(join(tmpdir(), 'herald-checkout-'));

  before(
    async () => {
      // The files git would check out (tracked, and new ones not ignored), without node_modules or builds.
      const listed = await mustRun('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
        cwd: ROOT,
        env: operatorEnv(NODE_24),
      });
      for (const file of listed.stdout.split('\0')) {
        if (!file || !existsSync(join(ROOT, file))) continue;
        mkdirSync(dirname(join(copy, file)), { recursive: true });
        cpSync(join(ROOT, file), join(copy, file));
      }
      await mustRun('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: copy, env: operatorEnv(NODE_24) });
    },
    { timeout: 240_000 },
  );
  after(() => rmSync(copy, { recursive: true, force: true }));

  void test('npm start on Node 24: Herald starts without the UI, no stack trace, /admin says how to get it', async () => {
    const run = startProcess('npm', ['start'], {
      cwd: copy,
      group: true,
      env: operatorEnv(NODE_24, {
        DATABASE_URL: `sqlite:${join(copy, 'herald.db')}`,
        HERALD_API_KEY: 'hk_checkout_test_0123456789abcdef',
        HOST: '127.0.0.1',
        PORT: '0',
      }),
    });
    try {
      const url = await listeningAt(run);
      assert.match(run.stderr(), /admin UI not built: Vite, a dev dependency, is not installed here/);
      assert.doesNotMatch(run.stderr(), /\n\s+at /, 'no stack trace');
      const admin = await fetch(`${url}/admin/`);
      assert.equal(admin.status, 503);
      const page = await admin.text();
      assert.match(page, /cannot build it: Vite, a dev dependency, is not installed/);
      assert.doesNotMatch(page, /does this by itself/);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      await run.stop();
    }
    assert.match(run.stdout(), /shutting down/);
  });

  void test('npm start on an older Node: one line naming the Node Herald needs, no stack trace', async (t) => {
    const old = await olderSystemNode(ENGINES_MIN);
    if (!old) return t.skip(`no Node older than ${ENGINES_MIN} on this machine's PATH`);
    const r = await runProcess('npm', ['start'], { cwd: copy, env: operatorEnv(dirname(old)) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`^herald: needs Node\\.js >=${ENGINES_MIN} \\(this is v[\\d.]+\\)`, 'm'));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(r.stderr + r.stdout, /ERR_UNKNOWN_FILE_EXTENSION|ERR_MODULE_NOT_FOUND/);
  });
});
