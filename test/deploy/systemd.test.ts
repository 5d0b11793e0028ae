import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../helpers/cli.ts';

const UNITS_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'systemd');
/** Herald's long-running units and the role each runs. */
const UNITS = { 'herald.service': 'serve', 'herald-api.service': 'api', 'herald-worker.service': 'worker' };
/** Every unit file in deploy/systemd (the backup service and its timer too). */
const ALL = readdirSync(UNITS_DIR).filter((f) => /\.(service|timer)$/.test(f));
const SYSTEM_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(d));
/** systemd's tools, and the system units that `--root` needs beside ours. */
const HAVE = (tool: string) => !!SYSTEM_UNITS && ['/usr/bin', '/bin'].some((d) => existsSync(join(d, tool)));

/**
 * A root for `systemd-analyze --root`: the machine's own system units (sysinit.target and the
 * rest that ours are ordered against), ours in /etc/systemd/system, and executables where
 * ExecStart= expects them (verify checks that they exist): /usr/local/bin/herald, where
 * `npm install -g` puts the command, and /bin/sh for the backup.
 */
function rootWith(units: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'herald-systemd-'));
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  cpSync(SYSTEM_UNITS!, join(root, 'usr/lib/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  for (const exe of ['usr/local/bin/herald', 'bin/sh']) {
    writeFileSync(join(root, exe), '#!/bin/sh\n');
    chmodSync(join(root, exe), 0o755);
  }
  for (const [name, text] of Object.entries(units)) writeFileSync(join(root, 'etc/systemd/system', name), text);
  return root;
}

const unitText = (name: string) => readFileSync(join(UNITS_DIR, name), 'utf8');
const ours = () => Object.fromEntries(ALL.map((n) => [n, unitText(n)]));

async function verify(units: Record<string, string>) {
  const root = rootWith(units);
  const paths = Object.keys(units).map((n) => join(root, 'etc/systemd/system', n));
  return runProcess('systemd-analyze', ['verify', `--root=${root}`, ...paths], {
    env: { PATH: process.env.PATH ?? '' },
  });
}

/** `Key=value` lines of one section, in order. */
function section(text: string, name: string): string[] {
  const body = text.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  return body
    .split('\n')
    .slice(1)
    .filter((l) => /^\w+=/.test(l));
}

void describe('systemd units (deploy/systemd)', () => {
  void test('systemd-analyze verify finds nothing to say about them', async (t) => {
    if (!HAVE('systemd-analyze')) return t.skip('systemd-analyze is not installed here');
    assert.deepEqual(ALL.sort(), [
      'herald-api.service',
      'herald-backup.service',
      'herald-backup.timer',
      'herald-worker.service',
      'herald.service',
    ]);
    const r = await verify(ours());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings either');
  });

  void test('and the same check fails on a broken unit (the test can fail)', async (t) => {
    if (!HAVE('systemd-analyze')) return t.skip('systemd-analyze is not installed here');
    const broken = unitText('herald.service').replace('Restart=always', 'Restart=allways\nRestartSecs=5');
    const r = await verify({ 'herald.service': broken });
    assert.match(r.stderr, /allways|RestartSecs/);
  });

  void test('each runs its role as the herald user, restarts always, reads an EnvironmentFile, keeps state in StateDirectory', () => {
    for (const [name, role] of Object.entries(UNITS)) {
      const service = section(unitText(name), 'Service');
      for (const line of [
        `ExecStart=/usr/local/bin/herald ${role}`,
        'User=herald',
        'Restart=always',
        'StateDirectory=herald',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'KillSignal=SIGTERM',
      ])
        assert.ok(service.includes(line), `${name}: ${line}`);
      assert.ok(
        service.some((l) => l.startsWith('EnvironmentFile=')),
        `${name}: an EnvironmentFile`,
      );
      assert.ok(section(unitText(name), 'Unit').includes('StartLimitIntervalSec=0'), `${name}: never gives up`);
      // Herald's graceful stop waits up to HERALD_SHUTDOWN_TIMEOUT_MS (10 s by default) for deliveries.
      const stop = Number(
        /^TimeoutStopSec=(\d+)s$/.exec(service.find((l) => l.startsWith('TimeoutStopSec=')) ?? '')?.[1],
      );
      assert.ok(stop > 10, `${name}: TimeoutStopSec above the shutdown timeout`);
    }
  });

  void test('all share one sandbox, line for line', () => {
    const sandbox = (name: string) => {
      const lines = section(unitText(name), 'Service');
      return lines.slice(lines.indexOf('NoNewPrivileges=yes'));
    };
    assert.ok(sandbox('herald.service').length > 15);
    assert.deepEqual(sandbox('herald-api.service'), sandbox('herald.service'));
    assert.deepEqual(sandbox('herald-worker.service'), sandbox('herald.service'));
    assert.deepEqual(sandbox('herald-backup.service'), sandbox('herald.service'));
  });

  void test('systemd-analyze security rates their exposure "OK" (below 2.0 of 10)', async (t) => {
    if (!HAVE('systemd-analyze')) return t.skip('systemd-analyze is not installed here');
    const root = rootWith(ours());
    for (const name of ALL.filter((n) => n.endsWith('.service'))) {
      const r = await runProcess(
        'systemd-analyze',
        ['security', '--offline=yes', `--root=${root}`, join(root, 'etc/systemd/system', name)],
        { env: { PATH: process.env.PATH ?? '' } },
      );
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
      assert.ok(level < 2, `${name}: exposure ${level}\n${r.stdout.slice(-400)}`);
    }
  });

  void test('the sysusers file creates the herald user', async (t) => {
    if (!HAVE('systemd-sysusers')) return t.skip('systemd-sysusers is not installed here');
    const root = mkdtempSync(join(tmpdir(), 'herald-sysusers-'));
    mkdirSync(join(root, 'etc'));
    for (const f of ['passwd', 'group']) writeFileSync(join(root, 'etc', f), '');
    const r = await runProcess(
      'systemd-sysusers',
      ['--dry-run', `--root=${root}`, join(UNITS_DIR, 'herald.sysusers.conf')],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /Creating user 'herald'/);
  });
});
