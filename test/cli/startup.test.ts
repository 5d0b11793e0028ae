import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, freshSqliteUrl, runCli, startCli } from '../helpers/cli.ts';

const KEY = 'hk_cli_test_key_0123456789abcdef';

/**
 * A failed start: exit code 2, each stderr line one `herald: …` sentence, and stdout empty (or,
 * once the runtime had started, JSON log lines only).
 */
function assertStartupError(
  r: { code: number | null; stdout: string; stderr: string },
  expected: RegExp[],
  logged = false,
): void {
  assert.equal(r.code, 2, r.stderr);
  if (logged) for (const line of r.stdout.trimEnd().split('\n')) JSON.parse(line);
  else assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, expected.length, r.stderr);
  lines.forEach((line, i) => assert.match(line, expected[i]!));
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

test('a bad LOG_LEVEL is one line naming the levels, exit code 2', async () => {
  const r = await runCli(['serve'], { LOG_LEVEL: 'verbose', DATABASE_URL: freshSqliteUrl() });
  assertStartupError(r, [
    /^herald: config: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)$/,
  ]);
});

test('a bad providers file: every problem, one line each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  const file = join(dir, 'herald.yaml');
  writeFileSync(file, 'provider:\n  - name: mail\n');
  const r = await runCli(['api'], { HERALD_CONFIG: file, PORT: 'x', DATABASE_URL: freshSqliteUrl() });
  assertStartupError(r, [
    /^herald: config: PORT must be an integer/,
    /^herald: config: .*herald\.yaml: "provider" is not a section of the providers file .*\(did you mean "providers"\?\)$/,
  ]);
  writeFileSync(file, '# nothing yet\n');
  assertStartupError(await runCli(['worker'], { HERALD_CONFIG: file, DATABASE_URL: freshSqliteUrl() }), [
    /^herald: config: .*herald\.yaml is empty/,
  ]);
});

test('a port in use is one line naming the address, exit code 2', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as { port: number };
  try {
    const env = { PORT: String(port), HOST: '127.0.0.1', HERALD_API_KEY: KEY, DATABASE_URL: freshSqliteUrl() };
    assertStartupError(
      await runCli(['api'], env),
      [
        new RegExp(
          `^herald: cannot listen on 127\\.0\\.0\\.1:${port} \\(PORT\\): the port is in use by another process`,
        ),
      ],
      true,
    );
    const rpc = { ...env, PORT: '0', HERALD_RPC_PORT: String(port) };
    assertStartupError(
      await runCli(['serve'], rpc),
      [new RegExp(`^herald: cannot listen on 127\\.0\\.0\\.1:${port} \\(HERALD_RPC_PORT\\): the port is in use`)],
      true,
    );
  } finally {
    holder.close();
  }
});

test('an unreachable database is one line, without its password', async () => {
  const port = await closedPort();
  const r = await runCli(['serve'], { DATABASE_URL: `postgres://herald:Secr3tPass@127.0.0.1:${port}/herald` });
  assertStartupError(r, [
    new RegExp(
      `^herald: cannot use the database postgres://herald:\\*\\*\\*@127\\.0\\.0\\.1:${port}/herald: connection refused`,
    ),
  ]);
  assert.doesNotMatch(r.stderr, /Secr3tPass/);
  const notSqlite = join(mkdtempSync(join(tmpdir(), 'herald-cli-')), 'not-a-db');
  writeFileSync(notSqlite, 'plain text, not SQLite\n'.repeat(100));
  assertStartupError(await runCli(['migrate'], { DATABASE_URL: `sqlite:${notSqlite}` }), [
    /^herald: cannot use the database sqlite:.*not-a-db: file is not a database$/,
  ]);
});

test('an unknown command is one line', async () => {
  assertStartupError(await runCli(['srve']), [/^herald: unknown command "srve" \(herald help lists them\)$/]);
});

test('the generated key goes to stderr, framed; stdout is JSON only and names the providers in force', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  const file = join(dir, 'herald.yaml');
  writeFileSync(file, 'providers:\n  - { name: relay, channel: email, type: http, url: "${RELAY_URL}" }\n');
  const env = {
    DATABASE_URL: freshSqliteUrl(),
    PORT: '0',
    HOST: '127.0.0.1',
    HERALD_CONFIG: file,
    RELAY_URL: 'https://relay.example.com/send',
  };
  const run = startCli(['serve'], env);
  try {
    await run.waitFor(/Herald API listening/);
    const [, key] = await run.waitFor(/│\s+(hk_[A-Za-z0-9_-]+)\s+│/, 'stderr');
    assert.match(run.stderr(), /┌─+┐\n│ Herald generated its first API key/);
    const lines = run.stdout().trimEnd().split('\n');
    const logs = lines.map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });
    assert.ok(!run.stdout().includes(key!), 'the key is not in the JSON log');
    const inForce = logs.find((l) => l.msg.startsWith('providers in force'));
    assert.ok(inForce, run.stdout());
    assert.equal(
      inForce.msg,
      `providers in force (from ${file}): relay (http), outbox-sms (outbox, default); routes email: relay; sms: outbox-sms`,
    );
    assert.deepEqual(inForce.routes, { email: ['relay'], sms: ['outbox-sms'] });
    assert.equal(await run.stop(), 0);
  } finally {
    await run.stop();
  }
});
