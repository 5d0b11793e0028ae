import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { writeHeraldConfig } from '../providers/config-file.ts';
import { closedPort, runCli, startCli, type CliRun } from '../helpers/cli.ts';
import { startHerald } from '../helpers/herald.ts';

test('herald fakes --help prints the usage and exits 0; a bad argument is one line, exit code 2', async () => {
  const help = await runCli(['fakes', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: herald fakes \[--herald <url>\]/m);
  const bad = await runCli(['fakes', '--only', 'prob']);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'herald: fakes: no fake named "prob" (known: mail, sendgrid, probe, bulk-sms, twilio) (did you mean "probe"?)\n',
  );
});

test('herald fakes: the YAML on stdout, the prose on stderr, one stderr line per message received', async () => {
  const fakes = startCli(['fakes', '--any-port', '--only', 'mail,probe', '--herald', 'http://127.0.0.1:9']);
  try {
    await fakes.waitFor(/routes:\n(.*\n)+/);
    await fakes.waitFor(/Ctrl-C stops the fakes/, 'stderr');
    const config = parse(fakes.stdout()) as { providers: { name: string }[]; routes: Record<string, string[]> };
    assert.deepEqual(
      config.providers.map((p) => p.name),
      ['mail', 'probe'],
    );
    assert.doesNotMatch(fakes.stdout(), /listening|Ctrl-C/, 'no prose on stdout');
    const h = await startHerald({ env: { HERALD_CONFIG: writeHeraldConfig(config) } });
    try {
      for (const payload of [
        { channel: 'email', to: 'ann@example.com', from: 'shop@example.com', subject: 'Hi', text: 'x' },
        { channel: 'sms', to: '+79001234567', text: 'your code is 1234' },
      ]) {
        const res = await h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload });
        assert.equal(res.statusCode, 202, res.body);
      }
      await fakes.waitFor(/ probe +SMS to 79001234567: "your code is 1234"\n/, 'stderr');
      await fakes.waitFor(/ mail +mail from shop@example\.com to ann@example\.com: "Hi"\n/, 'stderr');
      const lines = fakes
        .stderr()
        .split('\n')
        .filter((l) => / (mail|probe) +(mail|SMS) /.test(l));
      assert.equal(lines.length, 2, fakes.stderr());
    } finally {
      await h.stop();
    }
    assert.equal(await fakes.stop(), 0);
  } finally {
    await fakes.stop();
  }
});

/**
 * `herald fakes --only mail,probe` on two consecutive free ports. `from + 1` was not checked free:
 * on a busy machine another process may hold it, so a start refused for that is tried again.
 */
async function firstFakes(): Promise<{ from: number; first: CliRun }> {
  for (let i = 0; i < 5; i++) {
    const from = await closedPort();
    const first = startCli(['fakes', '--only', 'mail,probe', '--ports-from', String(from)]);
    const up = await Promise.race([
      first.waitFor(/routes:/).then(
        () => true,
        () => false,
      ),
      first.exited.then(() => false),
    ]);
    if (up) return { from, first };
    await first.stop();
    assert.match(first.stderr(), /already in use/);
  }
  throw new Error('no two consecutive free ports in 5 tries');
}

test('a second herald fakes says which ports are taken, exit code 2', async () => {
  const { from, first } = await firstFakes();
  try {
    const again = await runCli(['fakes', '--only', 'mail,probe', '--ports-from', String(from)]);
    assert.equal(again.code, 2);
    assert.equal(
      again.stderr,
      `herald: fakes: ports already in use on 127.0.0.1: ${from} (mail), ${from + 1} (probe). ` +
        'Is another "herald fakes" running? Stop it, or start these with --any-port.\n',
    );
    const probe = await runCli(['fakes', '--only', 'probe', '--ports-from', String(from + 1)]);
    assert.equal(probe.code, 2);
    assert.match(
      probe.stderr,
      new RegExp(`^herald: fakes: port already in use on 127\\.0\\.0\\.1: ${from + 1} \\(probe\\)\\.`),
    );
    assert.equal(probe.stderr.split('\n').length, 2, probe.stderr);
  } finally {
    assert.equal(await first.stop(), 0);
  }
});
