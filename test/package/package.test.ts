import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listeningAt, startProcess, runProcess } from '../helpers/cli.ts';
import { eventually } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { launch, watchErrors } from '../ui/browser.ts';
import { ENGINES_MIN, mustRun, olderSystemNode, operatorEnv, registryNode, ROOT } from './npm.ts';

const KEY = 'hk_package_test_0123456789abcdef';
const NODE_24 = dirname(process.execPath);

/**
 * Herald as an operator gets it: `npm pack` (whose prepack runs `npm run build`), the tarball
 * installed into a fresh prefix with --omit=dev from the npm registry, and its `herald` command
 * run on Node 24 and on the oldest Node that "engines" allows.
 */
void describe('the npm package', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'herald-pkg-'));
  const prefix = join(work, 'prefix');
  const herald = join(prefix, 'bin', 'herald');
  let files: string[] = [];
  let size = 0;

  before(
    async () => {
      const packed = await mustRun('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: ROOT,
        env: operatorEnv(NODE_24),
      });
      const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
        filename: string;
        size: number;
        files: { path: string }[];
      }[];
      files = info!.files.map((f) => f.path);
      size = info!.size;
      const args = ['install', '-g', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund'];
      await mustRun('npm', [...args, join(work, info!.filename)], { env: operatorEnv(NODE_24) });
    },
    { timeout: 400_000 },
  );
  after(() => rmSync(work, { recursive: true, force: true }));

  void test('holds the built JavaScript, the built admin UI and the bin; no sources, tests, benchmarks or screenshots', () => {
    for (const f of ['bin/herald.js', 'dist/main.js', 'dist/api/ui-static.js', 'dist/ui/index.html', 'package.json'])
      assert.ok(files.includes(f), `${f} is in the tarball`);
    assert.ok(
      files.some((f) => f.startsWith('deploy/systemd/')),
      'the service units',
    );
    const stray = files.filter((f) => /^(src|test|bench|scripts|ui|\.ci)\/|screenshots|\.test\.|\.ts$/.test(f));
    assert.deepEqual(stray, []);
    assert.ok(size < 1024 * 1024, `the tarball is ${size} bytes`);
  });

  async function serveSendAndOpenAdmin(nodeDir: string, expectVersion: string, browser: boolean) {
    const sink = await startSink();
    const run = startProcess(herald, ['serve'], {
      env: operatorEnv(nodeDir, {
        DATABASE_URL: `sqlite:${join(mkdtempSync(join(work, 'db-')), 'herald.db')}`,
        HERALD_API_KEY: KEY,
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
        HOST: '127.0.0.1',
        PORT: '0',
      }),
    });
    try {
      const url = await listeningAt(run);
      const auth = { authorization: `Bearer ${KEY}` };
      const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      assert.match(
        metrics,
        new RegExp(`herald_nodejs_version_info\\{version="v${expectVersion.replace(/\./g, '\\.')}`),
      );

      const accepted = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'webhook', url: `${sink.url}/hook`, body: { order: 42 } }),
      });
      assert.equal(accepted.status, 202);
      const { id } = (await accepted.json()) as { id: string };
      await eventually(
        async () => {
          const m = (await (await fetch(`${url}/v1/messages/${id}`, { headers: auth })).json()) as { state: string };
          return m.state === 'delivered' || undefined;
        },
        30_000,
        'the message to be delivered',
      );
      assert.deepEqual(JSON.parse(sink.requests[0]!.body), { order: 42 });

      const admin = await fetch(`${url}/admin/`);
      assert.equal(admin.status, 200);
      const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(await admin.text());
      assert.ok(script, 'index.html loads the UI bundle');
      const bundle = await fetch(`${url}${script[1]}`);
      assert.equal(bundle.status, 200);
      assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
      assert.ok((await bundle.text()).length > 10_000, 'the UI bundle has a body');
      if (browser) await signInToAdmin(url);

      assert.equal(await run.stop(), 0, 'SIGTERM stops it cleanly');
      assert.doesNotMatch(run.stderr(), /\n\s+at /, 'no stack trace on stderr');
    } finally {
      await run.stop();
      await sink.close();
    }
  }

  async function signInToAdmin(url: string) {
    const b = await launch();
    try {
      const page = await b.newPage();
      const errors = watchErrors(page);
      await page.goto(`${url}/admin/`);
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await b.close();
    }
  }

  void test('on Node 24: herald serve delivers a message and serves the admin UI', () =>
    serveSendAndOpenAdmin(NODE_24, process.versions.node, true));

  void test(`on Node ${ENGINES_MIN}, the oldest that "engines" allows`, async (t) => {
    const node = await registryNode(ENGINES_MIN);
    if ('why' in node) return t.skip(`no Node ${ENGINES_MIN} here: ${node.why}`);
    await serveSendAndOpenAdmin(dirname(node.path), ENGINES_MIN, false);
  });

  void test('an older Node gets one line saying which Node Herald needs', async (t) => {
    const old = await olderSystemNode(ENGINES_MIN);
    if (!old) return t.skip(`no Node older than ${ENGINES_MIN} on this machine's PATH`);
    const r = await runProcess(herald, ['serve'], { env: operatorEnv(dirname(old)) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^herald: needs Node\\.js >=${ENGINES_MIN} \\(this is v[\\d.]+\\)`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  void test('herald fakes says in one line that the fakes come with the source, not the package', async () => {
    const r = await runProcess(herald, ['fakes'], { env: operatorEnv(NODE_24) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^herald: fakes: the provider fakes are test code .* run herald fakes in a checkout/);
    assert.equal(r.stdout, '');
  });
});
