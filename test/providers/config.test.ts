import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { buildProviders } from '../../src/providers/build.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { writeHeraldConfig } from './config-file.ts';

const load = (providers: object[], env: Record<string, string> = {}) =>
  loadConfig({ DATABASE_URL: 'sqlite::memory:', HERALD_CONFIG: writeHeraldConfig({ providers }), ...env });

test('every provider problem is reported at once', () => {
  let err: unknown;
  try {
    load([
      { name: 'a', channel: 'email', type: 'smtp' },
      { name: 'b', channel: 'email', type: 'carrier-pigeon' },
      { name: 'c', channel: 'sms', type: 'smtp', url: 'smtp://127.0.0.1:25' },
      { name: 'd', channel: 'email', type: 'smtp', url: 'http://x', bogus: 1 },
      { name: 'e', channel: 'email', type: 'http', url: 'http://127.0.0.1/x', user: 'u', token: 't' },
      { name: 'f', channel: 'sms', type: 'outbox', extra: true },
    ]);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.problems, [
    'providers[a].url is required',
    'providers[b].type "carrier-pigeon" is not a known provider type (known: ' + err.problems[1]!.split('(known: ')[1],
    'providers[c]: a smtp provider serves email, not sms',
    'providers[d].url must be a smtp or smtps URL (got http:)',
    'providers[d].bogus is not an option of this provider type',
    'providers[e]: use token or user/pass, not both',
    'providers[f].extra: the outbox provider takes no option "extra"',
  ]);
  assert.match(err.problems[1]!, /known: .*http.*outbox.*smtp/);
});

test('a valid file parses, ${VAR} is substituted, routes default to file order', () => {
  const cfg = load(
    [
      { name: 'mail', channel: 'email', type: 'smtp', url: 'smtp://127.0.0.1:2525', pass: '${PASS}', user: 'u' },
      { name: 'gw', channel: 'email', type: 'http', url: 'https://mail.example.com/send', webhookPassword: 'p' },
    ],
    { PASS: 'secret' },
  );
  assert.equal(cfg.providers[0]!.options.pass, 'secret');
  assert.deepEqual(cfg.routes.email, ['mail', 'gw']);
  assert.deepEqual(cfg.routes.sms, []);
});

test('a default outbox never replaces a configured provider of the same name', () => {
  const config = load([{ name: 'outbox-email', channel: 'sms', type: 'outbox' }]);
  const set = buildProviders({
    config,
    store: { db: {} } as never,
    clock: new ManualClock(0),
    logger: pino({ level: 'silent' }),
  });
  assert.equal(set.byName.get('outbox-email')?.provider.channel, 'sms');
  assert.deepEqual(set.routes, { email: ['outbox-email-default'], sms: ['outbox-email'] });
});

test('provider names email and sms are reserved for the channel routes', () => {
  assert.throws(
    () => load([{ name: 'sms', channel: 'sms', type: 'outbox' }]),
    (e: unknown) =>
      e instanceof ConfigError && e.problems.includes('providers[sms].name "sms" is reserved for the channel route'),
  );
});
