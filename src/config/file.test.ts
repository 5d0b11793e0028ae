import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { configFile as file, configProblems as problemsOf } from '../../test/helpers/config.ts';

/** A folder for files that must not exist. */
const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));

const SMTP = `providers:
  - name: mail # the provider's name; \${NOT_SET} in a comment is only a comment
    channel: email
    type: smtp
    url: smtp://127.0.0.1:2525
    user: herald
    pass: \${SMTP_PASS}
`;

test('${VAR} is substituted after parsing: " #", ": " and "*" survive, comments are left alone', () => {
  for (const secret of ['abc #def', 'a: b', '*star', 'q\'uo"te ${NOT_A_REF}', '  spaced  ']) {
    const c = loadConfig({ HERALD_CONFIG: file(SMTP), SMTP_PASS: secret });
    assert.equal(c.providers[0]!.options.pass, secret, 'a substituted value is not scanned again');
  }
  const json = file(
    JSON.stringify({ providers: [{ name: 'gw', channel: 'email', type: 'http', url: '${U}' }] }),
    'json',
  );
  assert.equal(
    loadConfig({ HERALD_CONFIG: json, U: 'https://x.example/send' }).providers[0]!.options.url,
    'https://x.example/send',
  );
});

test('${VAR:-default}, $${ for a literal, numbers from variables', () => {
  const path = file(
    `providers:
  - name: sms
    channel: sms
    type: fbrq
    baseUrl: \${FBRQ_URL:-http://127.0.0.1:8081/v1}
    token: tok$\${NOT_SUBSTITUTED}
    concurrency: \${FBRQ_CONCURRENCY:-3}
`.replace('name: sms', 'name: probe'),
  );
  const c = loadConfig({ HERALD_CONFIG: path, FBRQ_URL: '' });
  const p = c.providers[0]!;
  assert.equal(p.options.baseUrl, 'http://127.0.0.1:8081/v1', 'empty counts as unset');
  assert.equal(p.options.token, 'tok${NOT_SUBSTITUTED}');
  assert.equal(p.concurrency, 3);
  assert.equal(loadConfig({ HERALD_CONFIG: path, FBRQ_CONCURRENCY: '12' }).providers[0]!.concurrency, 12);
});

test('retrySchedule: a list, a comma list, or one number of milliseconds', () => {
  const path = file(`providers:
  - { name: a, channel: sms, type: outbox, retrySchedule: [0, 1s] }
  - { name: b, channel: sms, type: outbox, retrySchedule: "0, 2m" }
  - { name: c, channel: sms, type: outbox, retrySchedule: 5000 }
`);
  assert.deepEqual(
    loadConfig({ HERALD_CONFIG: path }).providers.map((p) => p.retry.scheduleMs),
    [[0, 1000], [0, 120_000], [5000]],
  );
});

test('an unset variable names the place and the variable', () => {
  assert.deepEqual(problemsOf({ HERALD_CONFIG: file(SMTP) }), [
    'providers[mail].pass: ${SMTP_PASS} is not set (set SMTP_PASS or SMTP_PASS_FILE, or write ${SMTP_PASS:-default})',
  ]);
  assert.match(
    problemsOf({ HERALD_CONFIG: file('providers: [{ name: x, url: "${bad-name}" }]') }).join('\n'),
    /providers\[x\]\.url: a \$\{…\} must name a variable/,
  );
});

test('*_FILE: a secret from a mounted file, one trailing newline trimmed; unreadable or doubled is a problem', () => {
  const secretFile = file('s3cret value\n\n', 'txt');
  const c = loadConfig({
    HERALD_CONFIG: file(SMTP),
    SMTP_PASS_FILE: secretFile,
    HERALD_API_KEY_FILE: file('hk_from_file_0123456789abcdef\n', 'txt'),
  });
  assert.equal(c.providers[0]!.options.pass, 's3cret value\n');
  assert.equal(c.apiKey, 'hk_from_file_0123456789abcdef');
  assert.equal(
    loadConfig({ DATABASE_URL_FILE: file('postgres://u:p@db/h\r\n', 'txt') }).databaseUrl,
    'postgres://u:p@db/h',
  );
  assert.deepEqual(problemsOf({ HERALD_API_KEY_FILE: join(dir, 'missing'), PORT: '1', PORT_FILE: secretFile }), [
    'PORT and PORT_FILE are both set: set only one',
    `HERALD_API_KEY_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
  ]);
});

test('unknown keys at every level are refused, with the nearest known key', () => {
  const path = file(`provider:
  - name: mail
route:
  email: [mail]
providers:
  - name: mail
    channel: emial
    type: smtp
  - name: relay
    channel: email
    type: smpt
  - name: gw
    channel: email
    type: http
    url: https://gw.example/send
    tokne: abc
    concurency: 4
routes:
  emial: [mail]
  email: [mial]
`);
  assert.deepEqual(problemsOf({ HERALD_CONFIG: path }), [
    `${path}: "provider" is not a section of the providers file (known: providers, routes, retention) (did you mean "providers"?)`,
    `${path}: "route" is not a section of the providers file (known: providers, routes, retention) (did you mean "routes"?)`,
    'providers[mail].channel must be email or sms (did you mean "email"?)',
    'providers[relay].type "smpt" is not a known provider type (known: fbrq, http, mailgun, outbox, postmark, sendgrid, ses, sms-batch, smtp, twilio) (did you mean "smtp"?)',
    'providers[gw].tokne is not an option of this provider type (did you mean "token"?)',
    'providers[gw].concurency is not an option of this provider type (did you mean "concurrency"?)',
    'routes.emial: only email and sms have routes (did you mean "email"?)',
    'routes.email: no provider named "mial" (did you mean "mail"?)',
  ]);
});

test('an empty file, a file of comments, a list, and a second document are refused', () => {
  for (const text of ['', '# providers: none yet\n', '---\n']) {
    const path = file(text);
    assert.deepEqual(problemsOf({ HERALD_CONFIG: path }), [
      `${path} is empty: list providers under "providers:" (docs/providers/README.md), or unset HERALD_CONFIG`,
    ]);
  }
  assert.match(problemsOf({ HERALD_CONFIG: file('- a\n- b\n') })[0]!, /the top level must be a mapping/);
  assert.match(
    problemsOf({ HERALD_CONFIG: file('routes: {}\n---\nroutes: {}\n') })[0]!,
    /:2:1: a second YAML document begins here \(---\): keep one$/,
  );
  assert.match(
    problemsOf({ HERALD_CONFIG: join(dir, 'nope.yaml') })[0]!,
    /^HERALD_CONFIG: cannot read .*nope\.yaml \(ENOENT\)$/,
  );
});

test('problems never print a secret: parse errors give line and column only, values show their variable', () => {
  const broken = file('providers:\n  - name: mail\n    pass: "hunter2-literal\n    url: [\n');
  const p1 = problemsOf({ HERALD_CONFIG: broken });
  assert.ok(p1.length > 0 && p1.every((p) => p.startsWith(`${broken}:`) && !p.includes('\n')), p1.join('\n'));
  assert.ok(!p1.join('\n').includes('hunter2'), p1.join('\n'));

  const url = file('providers: [{ name: mail, channel: email, type: smtp, url: "${SMTP_URL}" }]\n');
  const p2 = problemsOf({
    HERALD_CONFIG: url,
    SMTP_URL: 'smtp ://user:Pa55word@mail',
    HERALD_API_KEY: 'hk_secret_key',
    DATABASE_URL: 'mysql://root:Pa55word@db',
  });
  assert.ok(
    p2.some((p) => p.includes('${SMTP_URL}')),
    p2.join('\n'),
  );
  assert.ok(!p2.join('\n').includes('Pa55word'), p2.join('\n'));
});

test('every problem at once, from the environment and the file', () => {
  const path = file('providers:\n  - name: a\n    channel: email\n    type: smtp\nroute: {}\n');
  const problems = problemsOf({ HERALD_CONFIG: path, LOG_LEVEL: 'verbose', PORT: 'x' });
  assert.deepEqual(problems, [
    'PORT must be an integer from 0 to 65535 (got "x")',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    `${path}: "route" is not a section of the providers file (known: providers, routes, retention) (did you mean "routes"?)`,
    'providers[a].url is required',
  ]);
});
